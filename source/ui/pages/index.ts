import type {PageDefinition} from '../page-types.ts';
import EncryptionKeysPage from './EncryptionKeysPage.tsx';
import ServiceAccountPage from './ServiceAccountPage.tsx';
import StatusPage from './StatusPage.tsx';

/**
 * The pages shown in the navigation list, in SSRS order (page-types.ts `designPages`). A page is listed only once
 * it works end to end.
 */
export const pages: PageDefinition[] = [
	{id: 'status', number: 1, title: 'Report Server Status', component: StatusPage},
	{id: 'service-account', number: 2, title: 'Service Account', component: ServiceAccountPage},
	{id: 'encryption-keys', number: 8, title: 'Encryption Keys', component: EncryptionKeysPage},
];
