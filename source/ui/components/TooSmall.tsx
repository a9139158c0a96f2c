import {Box} from 'ink';
import {Text} from './Text.tsx';
import {useModalLayer} from '../hooks/use-modal-layer.ts';
import type {TerminalSize} from '../hooks/use-terminal-size.ts';
import {theme} from '../theme.ts';

export type TooSmallProps = {
	size: TerminalSize;
	minimum: TerminalSize;
};

/**
 * Shown instead of the shell below the minimum size. It holds a modal layer so the hidden pages and dialogs
 * (kept mounted, so nothing typed is lost) receive no keys until the terminal is large enough again.
 */
export default function TooSmall({size, minimum}: TooSmallProps) {
	useModalLayer();
	return (
		<Box flexDirection="column" width={size.columns} height={Math.max(1, size.rows - 1)} overflow="hidden">
			<Text {...theme.text('warning')}>Terminal too small</Text>
			<Text>
				{`The terminal is ${size.columns}×${size.rows}; the Configuration Manager needs at least ` +
					`${minimum.columns}×${minimum.rows}. Enlarge the window, or press Ctrl+C to quit.`}
			</Text>
		</Box>
	);
}
