import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import {applyEmailSettings, type EmailForm} from '../../../core/settings-forms.ts';
import type {Session} from '../../../core/session.ts';
import {getSharedSettings, type EmailSettings} from '../../../core/shared-settings.ts';
import Button from '../../components/Button.tsx';
import Checkbox from '../../components/Checkbox.tsx';
import RadioGroup, {radioOptionIds} from '../../components/RadioGroup.tsx';
import SavedPasswordNote from '../../components/SavedPasswordNote.tsx';
import TextField from '../../components/TextField.tsx';
import {useSession} from '../../contexts/session-context.ts';
import {useFocusRing} from '../../hooks/use-focus-ring.ts';
import {useSettingsForm} from '../../hooks/use-settings-form.ts';
import type {PageProps} from '../../page-types.ts';
import {theme} from '../../theme.ts';

const authenticationOptions = [
	{value: 'none', label: 'No authentication'},
	{value: 'basic', label: 'Username and password'},
	{value: 'service-account', label: 'Report server service account'},
];

const labelWidth = 16;
const fieldIndent = labelWidth + 2;

type TextFieldId = 'senderAddress' | 'smtpServer' | 'userName' | 'password';

const emptyForm: EmailForm = {
	senderAddress: '',
	smtpServer: '',
	authentication: 'none',
	useSecureConnection: false,
	userName: '',
	password: '',
};

async function readEmailSettings(session: Session): Promise<EmailSettings> {
	return (await getSharedSettings(session)).email;
}

function toForm(settings: EmailSettings): EmailForm {
	const {password: _state, ...clear} = settings;
	return {...clear, password: ''};
}

/**
 * SSRS "E-mail Settings": the sender and SMTP server of e-mail subscriptions. Unlike SSRS (rsreportserver.config on
 * each machine), the settings live in the catalog, so every server of a scale-out deployment shares them; the SMTP
 * password is encrypted under the symmetric key.
 */
export default function EmailSettingsPage({focused, visible, report}: PageProps) {
	const {session} = useSession();
	const {form, setForm, saved, loadError, errors, apply, applying} = useSettingsForm({visible, report, read: readEmailSettings, toForm, initial: emptyForm});

	const basic = form.authentication === 'basic';
	const ids = [
		'senderAddress',
		'smtpServer',
		...radioOptionIds('authentication', authenticationOptions),
		...(basic ? ['useSecureConnection', 'userName', 'password'] : []),
		'apply',
	];
	const ring = useFocusRing({ids, isActive: focused});

	const update = (field: TextFieldId) => (value: string) => {
		setForm(previous => ({...previous, [field]: value}));
		errors.clear(field);
	};

	const applyForm = async () => {
		await apply(async () => applyEmailSettings(session, form), () => `E-mail settings applied (sender ${form.senderAddress.trim()})`);
	};

	const field = (id: TextFieldId, label: string, options: {mask?: boolean} = {}) => (
		<TextField
			label={label}
			labelWidth={labelWidth}
			fieldWidth={26}
			value={form[id]}
			onChange={update(id)}
			mask={options.mask}
			ring={ring}
			id={id}
			onSubmit={ring.next}
			error={errors.messageFor(id)}
		/>
	);

	return (
		<Box flexDirection="column">
			{loadError === undefined ? null : <Text {...theme.text('error')}>✖ {loadError}</Text>}
			{field('senderAddress', 'Sender Address:')}
			{field('smtpServer', 'SMTP Server:')}
			<RadioGroup
				label="Authentication:"
				options={authenticationOptions}
				value={form.authentication}
				onChange={value => setForm(previous => ({...previous, authentication: value as EmailForm['authentication']}))}
				ring={ring}
				id="authentication"
			/>
			{basic ? (
				<>
					<Box marginLeft={4}>
						<Checkbox
							label="Use secure connection"
							checked={form.useSecureConnection}
							onChange={checked => setForm(previous => ({...previous, useSecureConnection: checked}))}
							ring={ring}
							id="useSecureConnection"
						/>
					</Box>
					{field('userName', 'User Name:')}
					{field('password', 'Password:', {mask: true})}
					<SavedPasswordNote state={saved?.password} indent={fieldIndent} />
				</>
			) : null}
			<Box marginTop={1}>
				<Button label={applying ? 'Applying…' : 'Apply'} ring={ring} id="apply" onPress={() => void applyForm()} />
			</Box>
		</Box>
	);
}
