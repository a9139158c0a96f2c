import type {PageDefinition} from '../page-types.ts';
import EncryptionKeysPage from './EncryptionKeysPage.tsx';

/**
 * The pages shown in the navigation list, in SSRS order (page-types.ts `designPages`). A page is listed only once
 * it works end to end.
 */
export const pages: PageDefinition[] = [
	{id: 'encryption-keys', number: 8, title: 'Encryption Keys', component: EncryptionKeysPage},
];
