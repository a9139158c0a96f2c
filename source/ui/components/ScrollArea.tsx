import type React from 'react';
import {useLayoutEffect, useRef, useState} from 'react';
import {Box, measureElement, type DOMElement} from 'ink';
import {Text} from './Text.tsx';
import {useKeyInput} from '../hooks/use-key-input.ts';
import {matchesBinding} from '../key/bindings.ts';
import {theme} from '../theme.ts';

export type ScrollAreaProps = {
	width: number;
	/** Rows available. */
	height: number;
	/** ↑/↓ (and Shift+Tab/Tab) scroll while true: the page has the focus and nothing in it takes those keys. */
	active: boolean;
	children: React.ReactNode;
};

/**
 * Read-only content that may be taller than its room (a page at 80×24 in a state with much to say): it is drawn
 * whole when it fits; otherwise the last row says how much is below (or above) and ↑/↓ scroll, so nothing is ever
 * clipped without saying so.
 */
export default function ScrollArea({width, height, active, children}: ScrollAreaProps) {
	const content = useRef<DOMElement>(null);
	const [contentHeight, setContentHeight] = useState(0);
	const [top, setTop] = useState(0);
	// Measured after every commit: Ink lays out before layout effects run, and the content changes with the state.
	useLayoutEffect(() => {
		if (content.current === null) return;
		const measured = measureElement(content.current).height;
		if (measured !== contentHeight) setContentHeight(measured);
	});

	const overflows = contentHeight > height;
	const view = overflows ? Math.max(1, height - 1) : height;
	const maxTop = Math.max(0, contentHeight - view);
	const shownTop = Math.min(top, maxTop);
	useKeyInput(
		(input, key) => {
			if (matchesBinding('page.next', input, key)) setTop(Math.min(maxTop, shownTop + 1));
			else if (matchesBinding('page.previous', input, key)) setTop(Math.max(0, shownTop - 1));
		},
		{isActive: active && overflows},
	);

	const below = contentHeight - view - shownTop;
	const marker =
		below > 0
			? `↓ ${below} more ${below === 1 ? 'line' : 'lines'}${active ? ' (↓ scrolls)' : ' (enter the page to scroll)'}`
			: `↑ ${shownTop} ${shownTop === 1 ? 'line' : 'lines'} above (↑ scrolls)`;
	return (
		<Box flexDirection="column" width={width} height={height} flexShrink={0}>
			<Box height={view} overflowY="hidden" flexDirection="column" flexShrink={0}>
				<Box ref={content} flexDirection="column" flexShrink={0} marginTop={-shownTop}>
					{children}
				</Box>
			</Box>
			{overflows ? (
				<Text wrap="truncate-end" {...theme.text('muted')}>
					{marker}
				</Text>
			) : null}
		</Box>
	);
}
