import {useEffect, useMemo, useRef, useState} from 'react';
import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import {
	applyUrlSettings,
	getUrlSettings,
	parseUrlSettings,
	resultingUrls,
	standardIpAddresses,
	toUrlSettingsInput,
	urlFieldLabels,
	urlMachineName,
	type UrlSettingsField,
	type UrlSettingsInput,
	type UrlTarget,
} from '../../../core/url-settings.ts';
import {isRscmError} from '../../../errors.ts';
import {useSession} from '../../contexts/session-context.ts';
import {useFieldError} from '../../hooks/use-field-error.ts';
import {useFocusRing} from '../../hooks/use-focus-ring.ts';
import {useOperation} from '../../hooks/use-operation.ts';
import type {PageProps} from '../../page-types.ts';
import {theme} from '../../theme.ts';
import Button from '../../components/Button.tsx';
import FieldError from '../../components/FieldError.tsx';
import RadioGroup, {radioOptionIds} from '../../components/RadioGroup.tsx';
import TextField from '../../components/TextField.tsx';

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
	// Fields edited, and of those the ones the focus has left since: a field's own message waits until the user
	// leaves it (while typing, the URLs line names the field), as a Windows dialog validates on leaving a field.
	// The Specific address field is ipAddress; the radio options have ids of their own.
	const [edited, setEdited] = useState<ReadonlySet<string>>(() => new Set());
	const [left, setLeft] = useState<ReadonlySet<string>>(() => new Set());
	const previousFocus = useRef(ring.focusedId);
	useEffect(() => {
		const previous = previousFocus.current;
		previousFocus.current = ring.focusedId;
		if (previous !== undefined && previous !== ring.focusedId && edited.has(previous) && !left.has(previous)) {
			setLeft(current => new Set([...current, previous]));
		}
	}, [ring.focusedId, edited, left]);

	const markEdited = (id: string) => {
		setEdited(current => (current.has(id) ? current : new Set([...current, id])));
	};

	const update = (field: UrlSettingsField) => (value: string) => {
		setForm(previous => ({...previous, [field]: value}));
		markEdited(field);
		errors.clear(field);
	};

	const chooseIp = (value: string) => {
		setChoice(value);
		// Specific empties the address: once the user leaves its field still empty, it says so.
		markEdited('ipAddress');
		errors.clear('ipAddress');
		setForm(previous => ({...previous, ipAddress: value === specific ? (ipChoice(previous.ipAddress) === specific ? previous.ipAddress : '') : value}));
	};

	// The URLs as they would be with what is typed now, or the first field at fault; the core's own parser decides, so
	// the preview never shows a URL that Apply would refuse, and the field errors are Apply's own words.
	const preview = useMemo((): {urls: string[]} | {field: UrlSettingsField; message: string} => {
		const otherTarget: UrlTarget = target === 'webService' ? 'webPortal' : 'webService';
		try {
			return {urls: resultingUrls(parseUrlSettings(form, getUrlSettings(session, otherTarget), otherTarget), machine)};
		} catch (error) {
			if (!isRscmError(error) || error.field === undefined) throw error;
			return {field: error.field as UrlSettingsField, message: error.message};
		}
	}, [form, session, target, machine]);

	/**
	 * Apply's error for the field, else the live one: at once for a field the user is not in (a port typed elsewhere
	 * that clashes with it), and for the field being typed in once the user has left it.
	 */
	const messageFor = (id: UrlSettingsField) => {
		const live = 'field' in preview && preview.field === id && (left.has(id) || ring.focusedId !== id);
		return errors.messageFor(id) ?? (live ? preview.message : undefined);
	};

	const apply = async () => {
		const outcome = await run(
			async () => applyUrlSettings(session, target, form),
			settings => `${target === 'webService' ? 'Web Service URL' : 'Web Portal URL'} applied: ${resultingUrls(settings, machine).join(', ')}`,
		);
		errors.take(outcome);
		if (outcome?.ok) setForm(toUrlSettingsInput(outcome.value));
	};

	const field = (id: UrlSettingsField, label = `${urlFieldLabels[id]}:`, width = 22, placeholder?: string) => (
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
			error={messageFor(id)}
		/>
	);

	return (
		<Box flexDirection="column">
			{field('virtualDirectory')}
			<RadioGroup label={`${urlFieldLabels.ipAddress}:`} options={ipOptions} value={choice} onChange={chooseIp} ring={ring} id="ip" />
			{choice === specific ? field('ipAddress', '  Address:', 22, 'e.g. 10.0.0.5') : null}
			{choice === specific ? null : <FieldError message={messageFor('ipAddress')} indent={2} />}
			{field('tcpPort', undefined, 8)}
			{field('httpsPort', undefined, 8, 'none')}
			{field('certificateFile', undefined, 26, 'PEM file for HTTPS')}
			<Text wrap="truncate-end">
				<Text {...theme.text('muted')}>URLs: </Text>
				{'urls' in preview ? preview.urls[0] : <Text {...theme.text('warning')}>{`(fix ${urlFieldLabels[preview.field]})`}</Text>}
			</Text>
			{'urls' in preview && preview.urls[1] !== undefined ? <Text wrap="truncate-end">{'      ' + preview.urls[1]}</Text> : null}
			<Box>
				<Button label={running ? 'Applying…' : 'Apply'} ring={ring} id="apply" onPress={() => void apply()} />
			</Box>
		</Box>
	);
}

