import type { Context, Hono } from 'hono';
import type { Project } from '../../core/projects.js';
import type { SignedInOwner } from '../owner-auth.js';

/** What the dashboard's middleware puts on a request: the signed-in owner, and on project routes the project (guard.ts). */
export interface DashEnv {
  Variables: {
    owner: SignedInOwner;
    project: Project;
  };
}

export type DashApp = Hono<DashEnv>;
export type DashContext = Context<DashEnv>;
