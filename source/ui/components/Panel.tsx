import type React from 'react';
import {Box} from 'ink';
import {Text} from './Text.tsx';
import {useCharset} from '../contexts/charset-context.ts';
import {theme} from '../theme.ts';

export type PanelProps = {
	title?: string;
	/** Outer size, border included; without a height the panel is as tall as its content. */
	width: number;
	height?: number;
	/** A focused panel is drawn with a heavy border: visible without colour (NO_COLOR) as well. */
	focused?: boolean;
	paddingX?: number;
	/**
	 * What a screen reader hears instead of the top border: the title by default (`Dialog: Back Up …` for a dialog).
	 * A panel with neither is silent; its content still reads.
	 */
	heading?: string;
	children?: React.ReactNode;
};

const corners = {
	single: {left: '┌', line: '─', right: '┐', bottomLeft: '└', bottomRight: '┘'},
	bold: {left: '┏', line: '━', right: '┓', bottomLeft: '┗', bottomRight: '┛'},
} as const;

// The sides in ASCII, as the top and bottom edges become through Text (charset.ts): light `|`, heavy `#`.
const asciiSides = {
	single: {topLeft: '+', top: '-', topRight: '+', right: '|', bottomRight: '+', bottom: '-', bottomLeft: '+', left: '|'},
	bold: {topLeft: '#', top: '=', topRight: '#', right: '#', bottomRight: '#', bottom: '=', bottomLeft: '#', left: '#'},
} as const;

/** Inner size of a panel: what its children may fill. */
export function panelInnerSize(width: number, height: number, paddingX = 1): {width: number; height: number} {
	return {width: Math.max(0, width - 2 - paddingX * 2), height: Math.max(0, height - 2)};
}

/**
 * A bordered pane with its title set into the top border, as the SSRS window's group boxes do. Drawing the top
 * edge ourselves saves the line a title row would cost, which matters at 24 rows. Content taller than the panel is
 * clipped, never allowed to push the frame past the terminal height.
 */
export default function Panel({title, width, height, focused = false, paddingX = 1, heading = title, children}: PanelProps) {
	const style = focused ? 'bold' : 'single';
	const sideStyle = useCharset() === 'ascii' ? asciiSides[style] : style;
	const edge = corners[style];
	const borderColor = theme.color(focused ? 'focus' : 'border');
	const room = Math.max(0, width - 2);
	const label = title === undefined || room < 5 ? '' : ` ${title.slice(0, room - 3)} `;
	const lead = label === '' ? '' : edge.line;
	const rest = Math.max(0, room - lead.length - label.length);
	// The sides are empty boxes keyed by the border style, so a focus change remounts them and nothing else. Ink
	// applies only the changed style keys on an update, and a changed borderStyle alone re-enables the top border
	// that borderTop={false} had switched off: switching the style on the box that holds the page would push every
	// page down by one blank line.
	const side = (edgeSide: 'left' | 'right') => (
		<Box
			key={`${style}-${edgeSide}`}
			flexShrink={0}
			borderStyle={sideStyle}
			borderColor={borderColor}
			borderTop={false}
			borderBottom={false}
			borderLeft={edgeSide === 'left'}
			borderRight={edgeSide === 'right'}
		/>
	);
	return (
		<Box flexDirection="column" width={width} height={height} flexShrink={0}>
			{/*
			 * The borders are decoration: a screen reader hears the heading (and whether the panel has the focus), on a
			 * line of its own even where the panel stands beside another (Ink joins the readings of a row with spaces).
			 */}
			<Text
				wrap="truncate-end"
				aria-hidden={heading === undefined}
				aria-label={heading === undefined ? undefined : `\n${heading}${focused ? ' (focused)' : ''}`}
			>
				<Text color={borderColor}>{edge.left + lead}</Text>
				<Text {...theme.text(focused ? 'focus' : 'title')}>{label}</Text>
				<Text color={borderColor}>{edge.line.repeat(rest) + edge.right}</Text>
			</Text>
			<Box flexDirection="row" width={width} height={height === undefined ? undefined : Math.max(0, height - 2)}>
				{side('left')}
				<Box flexDirection="column" flexGrow={1} flexShrink={1} paddingX={paddingX} overflow="hidden">
					{children}
				</Box>
				{side('right')}
			</Box>
			<Text color={borderColor} wrap="truncate-end" aria-hidden>
				{edge.bottomLeft + edge.line.repeat(room) + edge.bottomRight}
			</Text>
		</Box>
	);
}
