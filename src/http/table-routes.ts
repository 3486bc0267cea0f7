import type { Route } from './route.js';
export const TABLE_ROUTES: Route[] = [];
