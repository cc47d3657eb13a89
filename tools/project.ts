import { projectStatusInput, projectStatusOutput } from '../schemas/project.js';
import { READ, defineTool } from './define.js';

export const PROJECT_STATUS = 'project_status';

export const projectTools = [
  defineTool({
    name: PROJECT_STATUS,
    title: 'Project status',
    description:
      'Shows the project this connection works on: its id, public site URL and domain, and how many pages and assets it has. ' +
      'Call this first in a new conversation to learn the site URL and whether the site is empty. Read-only.',
    toolset: 'project',
    input: projectStatusInput,
    output: projectStatusOutput,
    annotations: READ,
    rest: { method: 'GET', path: '/papi/project/:project_id/status' },
    handler: ({ core, project }) => core.status(project),
  }),
];
