import {Box} from 'ink';
import {Text} from './Text.tsx';
import {LayerContext} from '../contexts/modal-context.ts';
import {useModalLayer} from '../hooks/use-modal-layer.ts';
import {bindingsByScope, matchesBinding} from '../key/bindings.ts';
import {theme} from '../theme.ts';
import Panel, {panelInnerSize} from './Panel.tsx';
import {useKeyInput} from '../hooks/use-key-input.ts';

export type HelpOverlayProps = {
	/** Outer size, border included. */
	width: number;
	height: number;
	onClose: () => void;
};

const keyColumn = 16;

function Section({title, rows, width}: {title: string; rows: Array<{label: string; description: string}>; width: number}) {
	return (
		<Box flexDirection="column" marginBottom={1}>
			<Text {...theme.text('title')}>{title}</Text>
			{rows.map(row => (
				<Text key={row.label + row.description} wrap="truncate-end">
					<Text {...theme.text('accent')}>{row.label.padEnd(keyColumn)}</Text>
					{row.description.slice(0, Math.max(0, width - keyColumn))}
				</Text>
			))}
		</Box>
	);
}

/**
 * The `?` overlay: every binding of the table, grouped by where it works. It is a modal layer, so the page
 * underneath gets no keys while it is open; `?` or Esc closes it.
 */
export default function HelpOverlay({width, height, onClose}: HelpOverlayProps) {
	const layer = useModalLayer();
	useKeyInput(
		(input, key) => {
			if (matchesBinding('global.help', input, key) || matchesBinding('dialog.cancel', input, key)) onClose();
		},
		{isActive: layer.isTop},
	);

	const inner = panelInnerSize(width, height);
	const columnWidth = Math.floor((inner.width - 2) / 2);
	const sections = bindingsByScope().map(section => ({
		title: section.title,
		rows: section.bindings.map(binding => ({label: binding.label, description: binding.description})),
	}));
	// Page list and "anywhere" on the left, page and dialog keys on the right: balanced enough to fit 80×24.
	const left = sections.filter((_, index) => index === 0 || index === 3);
	const right = sections.filter((_, index) => index === 1 || index === 2);
	return (
		<LayerContext.Provider value={layer.id}>
			<Panel title="Help — keys (? or Esc closes)" width={width} height={height} focused>
				<Box flexDirection="row" gap={2}>
					<Box flexDirection="column" width={columnWidth}>
						{left.map(section => (
							<Section key={section.title} title={section.title} rows={section.rows} width={columnWidth} />
						))}
					</Box>
					<Box flexDirection="column" width={columnWidth}>
						{right.map(section => (
							<Section key={section.title} title={section.title} rows={section.rows} width={columnWidth} />
						))}
					</Box>
				</Box>
			</Panel>
		</LayerContext.Provider>
	);
}
