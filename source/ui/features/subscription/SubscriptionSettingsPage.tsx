import AccountForm from '../accounts/AccountForm.tsx';
import type {PageProps} from '../../page-types.ts';

/** SSRS "Subscription Settings": the file share account used by file share deliveries. */
export default function SubscriptionSettingsPage(props: PageProps) {
	return <AccountForm {...props} kind="fileShare" />;
}
