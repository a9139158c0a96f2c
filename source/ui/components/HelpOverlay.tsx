import {Box} from 'ink';
import {Text} from './Text.tsx';
import {LayerContext} from '../contexts/modal-context.ts';
import {useModalLayer} from '../hooks/use-modal-layer.ts';
import {keyLabelInWords} from '../charset.ts';
import {useCharset} from '../contexts/charset-context.ts';
import {bindingsByScope, matchesBinding} from '../key/bindings.ts';
import {theme} from '../theme.ts';
import Panel, {panelInnerSize} from './Panel.tsx';
import ScrollArea from './ScrollArea.tsx';
import {useKeyInput} from '../hooks/use-key-input.ts';

export type HelpOverlayProps = {
	/** Outer size, border included. */
	width: number;
	height: number;
	onClose: () => void;
	/** The page shown: its own keys get a section of their own. */
	page?: string;
};

const keyColumn = 16;

function Section({title, rows, width}: {title: string; rows: Array<{label: string; description: string}>; width: number}) {
	// Arrows as words where they would be drawn as ^ and v (ASCII); a screen reader always hears the words.
	const ascii = useCharset() === 'ascii';
	const labels = rows.map(row => (ascii ? keyLabelInWords(row.label) : row.label));
	// The words can be longer than the arrows: the section's descriptions still start in one column.
	const column = Math.max(keyColumn, ...labels.map(label => label.length + 1));
	return (
		<Box flexDirection="column" marginBottom={1} flexShrink={0}>
			{/* On a line of its own for a screen reader too: Ink joins the two columns' readings with a space. */}
			<Text {...theme.text('title')} aria-label={`\n${title}`}>
				{title}
			</Text>
			{rows.map((row, index) => (
				// The description wraps in its own column: cut at the column's width it would stop mid-sentence.
				<Box key={row.label + row.description} flexDirection="row" flexShrink={0} aria-label={`${keyLabelInWords(row.label)}: ${row.description}`}>
					<Box width={column} flexShrink={0}>
						<Text {...theme.text('accent')}>{labels[index]}</Text>
					</Box>
					<Box width={Math.max(1, width - column)}>
						<Text wrap="wrap">{row.description}</Text>
					</Box>
				</Box>
			))}
		</Box>
	);
}

/**
 * The `?` overlay: every binding of the table, grouped by where it works. It is a modal layer, so the page
 * underneath gets no keys while it is open; `?` or Esc closes it.
 */
export default function HelpOverlay({width, height, onClose, page}: HelpOverlayProps) {
	const layer = useModalLayer();
	useKeyInput(
		(input, key) => {
			if (matchesBinding('global.help', input, key) || matchesBinding('dialog.cancel', input, key)) onClose();
		},
		{isActive: layer.isTop},
	);

	const inner = panelInnerSize(width, height);
	const columnWidth = Math.floor((inner.width - 2) / 2);
	const sections = bindingsByScope(page).map(section => ({
		title: section.title,
		rows: section.bindings.map(binding => ({label: binding.label, description: binding.description})),
	}));
	// Page list, "anywhere" and the keys of the page shown (a section after the four scopes) on the left, page and
	// dialog keys on the right.
	const left = [...sections.filter((_, index) => index === 0 || index === 3), ...sections.slice(4)];
	const right = sections.filter((_, index) => index === 1 || index === 2);
	return (
		<LayerContext.Provider value={layer.id}>
			<Panel title="Help — keys (? or Esc closes)" heading="Help: keys (? or Esc closes)" width={width} height={height} focused>
				{/* Taller than 14 rows with every description whole: at 80×24 ↑/↓ scroll, and the last row says so. */}
				<ScrollArea width={inner.width} height={inner.height} active={layer.isTop}>
					<Box flexDirection="row" gap={2} flexShrink={0}>
						<Box flexDirection="column" width={columnWidth} flexShrink={0}>
							{left.map(section => (
								<Section key={section.title} title={section.title} rows={section.rows} width={columnWidth} />
							))}
						</Box>
						<Box flexDirection="column" width={columnWidth} flexShrink={0}>
							{right.map(section => (
								<Section key={section.title} title={section.title} rows={section.rows} width={columnWidth} />
							))}
						</Box>
					</Box>
				</ScrollArea>
			</Panel>
		</LayerContext.Provider>
	);
}
