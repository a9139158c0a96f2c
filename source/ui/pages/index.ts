import {lazyPage} from '../lazy-page.tsx';
import {designPages, type PageDefinition} from '../page-types.ts';
import StatusPage from '../features/status/StatusPage.tsx';

type PageId = (typeof designPages)[number]['id'];

// The Status page is part of the first frame; every other page is a chunk of its own in the bundle, loaded on first
// need or by the shell's preload once the first frame is up (lazy-page.tsx). The first frame then parses neither
// them nor what only they use: the key operations, the password policy and its strength estimate, the wizards.
const loaders: Record<Exclude<PageId, 'status'>, Parameters<typeof lazyPage>[0]> = {
	'service-account': async () => import('../features/accounts/ServiceAccountPage.tsx'),
	'web-service-url': async () => import('../features/urls/WebServiceUrlPage.tsx'),
	database: async () => import('../features/database/DatabasePage.tsx'),
	'web-portal-url': async () => import('../features/urls/WebPortalUrlPage.tsx'),
	email: async () => import('../features/email/EmailSettingsPage.tsx'),
	'execution-account': async () => import('../features/accounts/ExecutionAccountPage.tsx'),
	'encryption-keys': async () => import('../features/encryption-keys/EncryptionKeysPage.tsx'),
	'subscription-settings': async () => import('../features/subscription/SubscriptionSettingsPage.tsx'),
	'scale-out': async () => import('../features/scale-out/ScaleOutPage.tsx'),
	'data-sources': async () => import('../features/data-sources/DataSourcesPage.tsx'),
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
