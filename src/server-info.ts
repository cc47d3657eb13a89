/** The server's name and version, as MCP clients and the OpenAPI document see them. */
export const SERVER_INFO = { name: 'sitepub', title: 'sitepub', version: '0.1.0' };
