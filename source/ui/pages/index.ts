import type {PageDefinition} from '../page-types.ts';

/**
 * The pages shown in the navigation list, in SSRS order (page-types.ts `designPages`). A page is listed only once
 * it works end to end.
 */
export const pages: PageDefinition[] = [];
