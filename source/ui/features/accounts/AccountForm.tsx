import {useCallback} from 'react';
import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import {applyExecutionAccount, applyFileShareAccount, type AccountForm as AccountFormInput} from '../../../core/settings-forms.ts';
import type {Session} from '../../../core/session.ts';
import {getSharedSettings, type AccountSettings} from '../../../core/shared-settings.ts';
import {useSession} from '../../contexts/session-context.ts';
import {useFocusRing} from '../../hooks/use-focus-ring.ts';
import {useSettingsForm} from '../../hooks/use-settings-form.ts';
import type {PageProps} from '../../page-types.ts';
import {theme} from '../../theme.ts';
import Button from '../../components/Button.tsx';
import Checkbox from '../../components/Checkbox.tsx';
import SavedPasswordNote from '../../components/SavedPasswordNote.tsx';
import TextField from '../../components/TextField.tsx';

export type AccountKind = 'execution' | 'fileShare';

export type AccountFormProps = PageProps & {kind: AccountKind};

const texts: Record<AccountKind, {checkbox: string; intro: string; applied: string; cleared: string}> = {
	execution: {
		checkbox: 'Specify an execution account',
		// The SSRS page's explanation, shortened to fit.
		intro: 'Used for unattended operations and data sources that use no credentials.',
		applied: 'Execution account set',
		cleared: 'Execution account removed',
	},
	fileShare: {
		checkbox: 'Specify a file share account',
		intro: 'Used by file share subscriptions that do not give their own credentials.',
		applied: 'File share account set',
		cleared: 'File share account removed',
	},
};

type FieldId = 'account' | 'password' | 'confirmPassword';

const labelWidth = 18;
const fieldIndent = labelWidth + 2;

/**
 * The Execution Account and Subscription Settings pages: a checkbox that turns the account on, the account name and
 * its password (Confirm Password too on Execution Account, as in SSRS). Clearing the checkbox and applying removes
 * the account and its password. The saved password is never shown; an empty field keeps it.
 */
export default function AccountForm({kind, focused, visible, report}: AccountFormProps) {
	const {session} = useSession();
	const text = texts[kind];
	const withConfirm = kind === 'execution';
	const read = useCallback(async (from: Session): Promise<AccountSettings> => (await getSharedSettings(from))[kind], [kind]);
	const {form, setForm, saved, loadError, errors, apply, applying} = useSettingsForm<AccountSettings, AccountFormInput>({
		visible,
		report,
		read,
		toForm: settings => ({enabled: settings.enabled, account: settings.account, password: '', confirmPassword: ''}),
		initial: {enabled: false, account: '', password: '', confirmPassword: ''},
	});

	const ids = ['enabled', ...(form.enabled ? ['account', 'password', ...(withConfirm ? ['confirmPassword'] : [])] : []), 'apply'];
	const ring = useFocusRing({ids, isActive: focused});

	const update = (field: FieldId) => (value: string) => {
		setForm(previous => ({...previous, [field]: value}));
		errors.clear(field);
		if (field === 'password') errors.clear('confirmPassword');
	};

	const applyForm = async () => {
		const submit = {...form, confirmPassword: withConfirm ? form.confirmPassword : undefined};
		await apply(
			async () => (kind === 'execution' ? applyExecutionAccount(session, submit) : applyFileShareAccount(session, submit)),
			() => (form.enabled ? `${text.applied}: ${form.account.trim()}` : text.cleared),
		);
	};

	const field = (id: FieldId, label: string, mask: boolean) => (
		<TextField
			label={label}
			labelWidth={labelWidth}
			fieldWidth={26}
			value={form[id] ?? ''}
			onChange={update(id)}
			mask={mask}
			ring={ring}
			id={id}
			onSubmit={ring.next}
			error={errors.messageFor(id)}
		/>
	);

	return (
		<Box flexDirection="column">
			{loadError === undefined ? null : <Text {...theme.text('error')}>✖ {loadError}</Text>}
			<Text {...theme.text('muted')}>{text.intro}</Text>
			<Box marginTop={1}>
				<Checkbox
					label={text.checkbox}
					checked={form.enabled}
					onChange={enabled => setForm(previous => ({...previous, enabled}))}
					ring={ring}
					id="enabled"
				/>
			</Box>
			{form.enabled ? (
				<>
					{field('account', 'Account:', false)}
					{field('password', 'Password:', true)}
					{withConfirm ? field('confirmPassword', 'Confirm Password:', true) : null}
					<SavedPasswordNote state={saved?.password} indent={fieldIndent} />
				</>
			) : null}
			<Box marginTop={1}>
				<Button label={applying ? 'Applying…' : 'Apply'} ring={ring} id="apply" onPress={() => void applyForm()} />
			</Box>
		</Box>
	);
}
