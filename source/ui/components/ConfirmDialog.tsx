import {useState} from 'react';
import {Box} from 'ink';
import {Text} from './Text.tsx';
import {useFocusRing} from '../hooks/use-focus-ring.ts';
import Button from './Button.tsx';
import Dialog from './Dialog.tsx';
import Spinner from './Spinner.tsx';
import TextField from './TextField.tsx';

export type ConfirmDialogProps = {
	title: string;
	/** One paragraph per entry. */
	message: string | readonly string[];
	onConfirm: () => void;
	onCancel: () => void;
	confirmLabel?: string;
	cancelLabel?: string;
	/**
	 * For destructive operations: the user must type this word (e.g. `DELETE`) before the confirm button works,
	 * so a stray Enter cannot erase anything.
	 */
	requireText?: string;
	/** Which button has the focus first. Cancel by default: Enter alone never confirms by accident. */
	initialFocus?: 'confirm' | 'cancel';
	/**
	 * What the dialog still reads before it can be confirmed (a count, say): shown with a spinner under the message,
	 * and the confirm button stays off until it is gone. The dialog is live meanwhile: what is typed into its field
	 * stays there, Esc cancels.
	 */
	busy?: string;
	width: number;
	height?: number;
};

function ConfirmBody({
	message,
	onConfirm,
	onCancel,
	confirmLabel,
	cancelLabel,
	requireText,
	initialFocus,
	busy,
}: Omit<ConfirmDialogProps, 'title' | 'width' | 'height'> & {confirmLabel: string; cancelLabel: string}) {
	const [typed, setTyped] = useState('');
	const unlocked = (requireText === undefined || typed === requireText) && busy === undefined;
	const ids = [...(requireText === undefined ? [] : ['typed']), ...(unlocked ? ['confirm'] : []), 'cancel'];
	const ring = useFocusRing({
		ids,
		isActive: true,
		initialId: requireText === undefined ? initialFocus : 'typed',
	});
	const paragraphs = typeof message === 'string' ? [message] : message;
	return (
		<Box flexDirection="column">
			{paragraphs.map(paragraph => (
				<Text key={paragraph}>{paragraph}</Text>
			))}
			{busy === undefined ? null : <Spinner label={busy} />}
			{requireText === undefined ? null : (
				<Box marginTop={1}>
					<TextField
						label={`Type ${requireText} to confirm:`}
						value={typed}
						onChange={setTyped}
						ring={ring}
						id="typed"
						fieldWidth={Math.max(10, requireText.length + 4)}
						onSubmit={() => {
							if (unlocked) ring.focus('confirm');
						}}
					/>
				</Box>
			)}
			<Box marginTop={1} gap={2}>
				<Button label={confirmLabel} ring={ring} id="confirm" disabled={!unlocked} onPress={onConfirm} />
				<Button label={cancelLabel} ring={ring} id="cancel" onPress={onCancel} />
			</Box>
		</Box>
	);
}

/** A yes/no question in a modal dialog, with an optional "type DELETE to confirm" guard. */
export default function ConfirmDialog({
	title,
	width,
	height,
	confirmLabel = 'OK',
	cancelLabel = 'Cancel',
	initialFocus = 'cancel',
	...rest
}: ConfirmDialogProps) {
	return (
		<Dialog title={title} onCancel={rest.onCancel} width={width} height={height}>
			<ConfirmBody {...rest} confirmLabel={confirmLabel} cancelLabel={cancelLabel} initialFocus={initialFocus} />
		</Dialog>
	);
}
