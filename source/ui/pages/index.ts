import type {PageDefinition} from '../page-types.ts';
import DatabasePage from './DatabasePage.tsx';
import EmailSettingsPage from './EmailSettingsPage.tsx';
import EncryptionKeysPage from './EncryptionKeysPage.tsx';
import ExecutionAccountPage from './ExecutionAccountPage.tsx';
import ScaleOutPage from './ScaleOutPage.tsx';
import ServiceAccountPage from './ServiceAccountPage.tsx';
import StatusPage from './StatusPage.tsx';
import SubscriptionSettingsPage from './SubscriptionSettingsPage.tsx';
import WebPortalUrlPage from './WebPortalUrlPage.tsx';
import WebServiceUrlPage from './WebServiceUrlPage.tsx';

/**
 * The pages shown in the navigation list, in SSRS order (page-types.ts `designPages`). A page is listed only once
 * it works end to end.
 */
export const pages: PageDefinition[] = [
	{id: 'status', number: 1, title: 'Report Server Status', component: StatusPage},
	{id: 'service-account', number: 2, title: 'Service Account', component: ServiceAccountPage},
	{id: 'web-service-url', number: 3, title: 'Web Service URL', component: WebServiceUrlPage},
	{id: 'database', number: 4, title: 'Database', component: DatabasePage},
	{id: 'web-portal-url', number: 5, title: 'Web Portal URL', component: WebPortalUrlPage},
	{id: 'email', number: 6, title: 'E-mail Settings', component: EmailSettingsPage},
	{id: 'execution-account', number: 7, title: 'Execution Account', component: ExecutionAccountPage},
	{id: 'encryption-keys', number: 8, title: 'Encryption Keys', component: EncryptionKeysPage},
	{id: 'subscription-settings', number: 9, title: 'Subscription Settings', component: SubscriptionSettingsPage},
	{id: 'scale-out', number: 10, title: 'Scale-out Deployment', component: ScaleOutPage},
];
