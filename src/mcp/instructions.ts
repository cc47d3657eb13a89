/** Sent once at initialize: the workflow a model should follow. Kept short (it costs context). */
export const SERVER_INSTRUCTIONS = `sitepub publishes websites. Every write is live on the public site at once.
Workflow:
1. project_status: learn the site URL and what exists.
2. Build: pages_bulk_create (or pages_create) with full HTML; "index.html" is the home page. Upload CSS, images, fonts with assets_upload (content_text for CSS/SVG/JS, source_url for large files) and link them by root-relative paths like /css/site.css.
3. Edit: pages_get with include_version=true, then pages_patch with that version_hash as base_version_hash and exact find strings. On VERSION_CONFLICT re-read and retry; on PATCH_FIND_* copy the exact text from pages_get.
4. History: pages_versions and pages_rollback (forward-only, nothing is lost).
5. Sell a file: assets_upload with private: true (a file over a few MB, or on the user's computer: assets_create_upload_url, and hand the user its curl command), then file-downloads_generate_token and give the buyer download_url. Track with file-downloads_list_downloads and file-downloads_get_stats; stop a link with file-downloads_revoke_token.
Errors come back as JSON {code, type, message}; the message says how to recover.`;
