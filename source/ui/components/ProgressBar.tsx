import {Box} from 'ink';
import {Text} from './Text.tsx';
import {formatCount} from '../../core/display-format.ts';
import {theme} from '../theme.ts';

export type ProgressBarProps = {
	done: number;
	total: number;
	/** Columns for the whole line: the bar takes what the counts leave. */
	width: number;
	label?: string;
};

/** Progress as a fraction in [0, 1]. Nothing to do counts as complete, so an empty catalog shows 100%. */
export function progressFraction(done: number, total: number): number {
	if (total <= 0) return 1;
	return Math.min(1, Math.max(0, done / total));
}

/** `Re-encrypting [██████░░░░] 1,200/3,000 40%` — filled and empty cells differ in shape, not only in colour. */
export default function ProgressBar({done, total, width, label}: ProgressBarProps) {
	const fraction = progressFraction(done, total);
	// Floor, so 99.6% never reads as 100% while work remains.
	const percent = `${Math.floor(fraction * 100)}%`;
	const counts = `${formatCount(Math.max(0, done))}/${formatCount(Math.max(0, total))}`;
	const prefix = label === undefined ? '' : `${label} `;
	const barWidth = Math.max(0, width - prefix.length - counts.length - percent.length - 4);
	const filled = Math.round(fraction * barWidth);
	return (
		<Box aria-role="progressbar" aria-label={`${prefix}${percent}, ${counts}`}>
			<Text wrap="truncate-end">
				{prefix}
				{barWidth > 0 ? (
					<Text>
						[<Text {...theme.text('accent')}>{'█'.repeat(filled)}</Text>
						<Text {...theme.text('muted')}>{'░'.repeat(barWidth - filled)}</Text>]{' '}
					</Text>
				) : null}
				{counts} {percent}
			</Text>
		</Box>
	);
}
