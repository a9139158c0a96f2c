import {lazyPage} from '../lazy-page.tsx';
import {designPages, type PageDefinition} from '../page-types.ts';
import StatusPage from './StatusPage.tsx';

type PageId = (typeof designPages)[number]['id'];

// The Status page is part of the first frame; every other page is a chunk of its own in the bundle, loaded on first
// need or by the shell's preload once the first frame is up (lazy-page.tsx). The first frame then parses neither
// them nor what only they use: the key operations, the password policy and its strength estimate, the wizards.
const loaders: Record<Exclude<PageId, 'status'>, Parameters<typeof lazyPage>[0]> = {
	'service-account': async () => import('./ServiceAccountPage.tsx'),
	'web-service-url': async () => import('./WebServiceUrlPage.tsx'),
	database: async () => import('./DatabasePage.tsx'),
	'web-portal-url': async () => import('./WebPortalUrlPage.tsx'),
	email: async () => import('./EmailSettingsPage.tsx'),
	'execution-account': async () => import('./ExecutionAccountPage.tsx'),
	'encryption-keys': async () => import('./EncryptionKeysPage.tsx'),
	'subscription-settings': async () => import('./SubscriptionSettingsPage.tsx'),
	'scale-out': async () => import('./ScaleOutPage.tsx'),
	'data-sources': async () => import('./DataSourcesPage.tsx'),
};

/**
 * The pages shown in the navigation list, in SSRS order, with the ids, numbers and titles of page-types.ts
 * `designPages`. A page is listed only once it works end to end.
 */
export const pages: PageDefinition[] = designPages.map(page => {
	if (page.id === 'status') return {...page, component: StatusPage};
	const component = lazyPage(loaders[page.id]);
	return {...page, component, preload: component.preload};
});
