import type React from 'react';
import {Box} from 'ink';
import {Text} from './Text.tsx';
import {theme, type ColorRole} from '../theme.ts';

export type LabelledRowProps = {
	label: string;
	/** Columns of the label: the rows of one page line up. */
	labelWidth: number;
	children: React.ReactNode;
	role?: ColorRole;
	/** How a value too long for the line is shown: cut at its end (default), in its middle, or wrapped to read it whole. */
	wrap?: 'truncate-end' | 'truncate-middle' | 'wrap';
};

/** One labelled value of a page: the label muted in its column, the value beside it. */
export default function LabelledRow({label, labelWidth, children, role, wrap = 'truncate-end'}: LabelledRowProps) {
	return (
		<Box flexDirection="row">
			<Box width={labelWidth} flexShrink={0}>
				<Text {...theme.text('muted')}>{label}</Text>
			</Box>
			<Box flexGrow={1} flexShrink={1}>
				<Text wrap={wrap} {...(role === undefined ? {} : theme.text(role))}>
					{children}
				</Text>
			</Box>
		</Box>
	);
}
