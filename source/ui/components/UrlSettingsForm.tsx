import {useMemo, useState} from 'react';
import {Box} from 'ink';
import {Text} from './Text.tsx';
import {
	applyUrlSettings,
	getUrlSettings,
	parseUrlSettings,
	resultingUrls,
	standardIpAddresses,
	toUrlSettingsInput,
	urlMachineName,
	type UrlSettingsField,
	type UrlSettingsInput,
	type UrlTarget,
} from '../../core/url-settings.ts';
import {useSession} from '../contexts/session-context.ts';
import {useFieldError} from '../hooks/use-field-error.ts';
import {useFocusRing} from '../hooks/use-focus-ring.ts';
import {useOperation} from '../hooks/use-operation.ts';
import type {PageProps} from '../page-types.ts';
import {theme} from '../theme.ts';
import Button from './Button.tsx';
import FieldError from './FieldError.tsx';
import RadioGroup, {radioOptionIds} from './RadioGroup.tsx';
import TextField from './TextField.tsx';

export type UrlSettingsFormProps = PageProps & {target: UrlTarget};

const specific = 'specific';
const ipOptions = [
	...standardIpAddresses.map(address => ({value: address, label: address})),
	{value: specific, label: 'Specific address:'},
];

const labelWidth = 18;

function ipChoice(ipAddress: string): string {
	return (standardIpAddresses as readonly string[]).includes(ipAddress) ? ipAddress : specific;
}

/**
 * The Web Service URL and Web Portal URL pages of the SSRS Configuration Manager: one URL reservation each
 * (virtual directory, IP address, TCP port, optional HTTPS port with its certificate) and the URLs it results in.
 * Per instance: saved in this machine's local settings, not in the catalog.
 */
export default function UrlSettingsForm({target, focused, report}: UrlSettingsFormProps) {
	const {session} = useSession();
	const [form, setForm] = useState<UrlSettingsInput>(() => toUrlSettingsInput(getUrlSettings(session, target)));
	const [choice, setChoice] = useState(() => ipChoice(form.ipAddress));
	const errors = useFieldError();
	const {run, running} = useOperation(report);
	const machine = urlMachineName(session);

	const ids = [
		'virtualDirectory',
		...radioOptionIds('ip', ipOptions),
		...(choice === specific ? ['ipAddress'] : []),
		'tcpPort',
		'httpsPort',
		'certificateFile',
		'apply',
	];
	const ring = useFocusRing({ids, isActive: focused});

	const update = (field: UrlSettingsField) => (value: string) => {
		setForm(previous => ({...previous, [field]: value}));
		errors.clear(field);
	};

	const chooseIp = (value: string) => {
		setChoice(value);
		errors.clear('ipAddress');
		setForm(previous => ({...previous, ipAddress: value === specific ? (ipChoice(previous.ipAddress) === specific ? previous.ipAddress : '') : value}));
	};

	// The URLs as they would be with what is typed now; the core's own parser decides, so the preview never shows a
	// URL that Apply would refuse.
	const preview = useMemo(() => {
		const otherTarget: UrlTarget = target === 'webService' ? 'webPortal' : 'webService';
		try {
			return resultingUrls(parseUrlSettings(form, getUrlSettings(session, otherTarget), otherTarget), machine);
		} catch {
			return undefined;
		}
	}, [form, session, target, machine]);

	const apply = async () => {
		const outcome = await run(
			async () => applyUrlSettings(session, target, form),
			settings => `${target === 'webService' ? 'Web Service URL' : 'Web Portal URL'} applied: ${resultingUrls(settings, machine).join(', ')}`,
		);
		errors.take(outcome);
		if (outcome?.ok) setForm(toUrlSettingsInput(outcome.value));
	};

	const field = (id: UrlSettingsField, label: string, width = 22, placeholder?: string) => (
		<TextField
			label={label}
			labelWidth={labelWidth}
			fieldWidth={width}
			value={form[id]}
			onChange={update(id)}
			ring={ring}
			id={id}
			placeholder={placeholder}
			onSubmit={ring.next}
			error={errors.messageFor(id)}
		/>
	);

	return (
		<Box flexDirection="column">
			{field('virtualDirectory', 'Virtual Directory:')}
			<RadioGroup label="IP Address:" options={ipOptions} value={choice} onChange={chooseIp} ring={ring} id="ip" />
			{choice === specific ? field('ipAddress', '  Address:', 22, 'e.g. 10.0.0.5') : null}
			{choice === specific ? null : <FieldError message={errors.messageFor('ipAddress')} indent={2} />}
			{field('tcpPort', 'TCP Port:', 8)}
			{field('httpsPort', 'HTTPS Port:', 8, 'none')}
			{field('certificateFile', 'Certificate file:', 26, 'PEM file for HTTPS')}
			<Text wrap="truncate-end">
				<Text {...theme.text('muted')}>URLs: </Text>
				{preview === undefined ? <Text {...theme.text('muted')}>(fix the fields above)</Text> : preview[0]}
			</Text>
			{preview?.[1] === undefined ? null : <Text wrap="truncate-end">{'      ' + preview[1]}</Text>}
			<Box>
				<Button label={running ? 'Applying…' : 'Apply'} ring={ring} id="apply" onPress={() => void apply()} />
			</Box>
		</Box>
	);
}

