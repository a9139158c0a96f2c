import AccountForm from './AccountForm.tsx';
import type {PageProps} from '../../page-types.ts';

/** SSRS "Execution Account": the account the report server uses when a data source has no credentials of its own. */
export default function ExecutionAccountPage(props: PageProps) {
	return <AccountForm {...props} kind="execution" />;
}
