import type React from 'react';
import {Box} from 'ink';
import {LayerContext} from '../contexts/modal-context.ts';
import {useModalLayer} from '../hooks/use-modal-layer.ts';
import {matchesBinding} from '../key/bindings.ts';
import Panel from './Panel.tsx';
import {useKeyInput} from '../hooks/use-key-input.ts';

export type DialogProps = {
	title: string;
	/** Esc, or whatever the dialog's Cancel button does. */
	onCancel: () => void;
	width: number;
	/** Without a height the dialog is as tall as its content. */
	height?: number;
	children?: React.ReactNode;
};

/**
 * A modal dialog. While it is mounted it is the top input layer: the page under it and the shell's list/page keys
 * are silent, Esc cancels. Put the dialog's fields in a child component that calls `useFocusRing`; the ring then
 * sees the dialog layer and uses the dialog bindings. Pages render it in place of their content (Ink has no
 * stacking of overlapping boxes), so the dialog takes the page area, as a Windows dialog takes the user's attention.
 */
export default function Dialog({title, onCancel, width, height, children}: DialogProps) {
	const layer = useModalLayer();
	useKeyInput(
		(input, key) => {
			if (matchesBinding('dialog.cancel', input, key)) onCancel();
		},
		{isActive: layer.isTop},
	);

	return (
		<LayerContext.Provider value={layer.id}>
			<Panel title={title} heading={`Dialog: ${title}`} width={width} height={height} focused={layer.isTop}>
				<Box flexDirection="column">{children}</Box>
			</Panel>
		</LayerContext.Provider>
	);
}
