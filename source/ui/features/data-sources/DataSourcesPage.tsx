import {errorSummary} from '../../../errors.ts';
import {useEffect, useState} from 'react';
import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import {removeDataSource, type DataSourceSummary} from '../../../core/data-sources.ts';
import type {SecretState} from '../../../core/secret-values.ts';
import {displayText} from '../../../core/terminal-text.ts';
import ConfirmDialog from '../../components/ConfirmDialog.tsx';
import TextField from '../../components/TextField.tsx';
import {useSession} from '../../contexts/session-context.ts';
import DataSourceDialog from './DataSourceDialog.tsx';
import {useDataSourceList} from './use-data-source-list.ts';
import {useKeyInput} from '../../hooks/use-key-input.ts';
import {useOperation} from '../../hooks/use-operation.ts';
import {matchesBinding} from '../../key/bindings.ts';
import type {PageProps} from '../../page-types.ts';
import {readerLabel, readerState} from '../../reader.ts';
import {theme, type ColorRole} from '../../theme.ts';
import {formatCount} from '../../../core/display-format.ts';
import {pluralize} from '../display.ts';

type Pending = {action: 'new'} | {action: 'edit' | 'remove'; row: DataSourceSummary};

/** The three fields as a row shows them: a short word and a mark that needs no colour to read. */
const columns = [
	{field: 'connectionString', word: 'conn'},
	{field: 'username', word: 'user'},
	{field: 'password', word: 'pass'},
] as const;

const marks: Record<SecretState, {mark: string; role: ColorRole; words: string}> = {
	set: {mark: '✔', role: 'success', words: 'set'},
	unset: {mark: '·', role: 'muted', words: 'empty'},
	'needs-reentry': {mark: '!', role: 'warning', words: 'needs re-entry'},
};

/** What a screen reader hears for a row: the marks in words. */
function rowReading(row: DataSourceSummary): string {
	const fields = [
		`connection string ${marks[row.fields.connectionString].words}`,
		`user name ${marks[row.fields.username].words}`,
		`password ${marks[row.fields.password].words}`,
	];
	return readerLabel(`${row.name}: ${fields.join(', ')}`);
}

/** " conn ✔ user ✔ pass !" and " re-entry": the columns after the name. */
const fieldsWidth = 21;
const reentryWidth = 9;

/** Lines around the rows: the filter/summary line above, the legend below. */
const fixedLines = 2;

function Row({row, selected, focused, nameWidth}: {row: DataSourceSummary; selected: boolean; focused: boolean; nameWidth: number}) {
	const style = selected ? (focused ? theme.text('selection') : theme.text('accent')) : {};
	return (
		<Box
			flexDirection="row"
			height={1}
			aria-role="listitem"
			aria-state={readerState({selected, focused: selected && focused})}
			aria-label={rowReading(row)}
		>
			<Box width={2 + nameWidth} flexShrink={0}>
				{/* The name comes from the catalog: one line, control characters made visible, cut with an ellipsis. */}
				<Text wrap="truncate-end" {...style}>
					{(selected ? '› ' : '  ') + displayText(row.name)}
				</Text>
			</Box>
			<Box width={fieldsWidth} flexShrink={0}>
				<Text>
					{columns.map(column => {
						const {mark, role} = marks[row.fields[column.field]];
						return (
							<Text key={column.field}>
								<Text {...theme.text('muted')}>{` ${column.word} `}</Text>
								<Text {...theme.text(role)}>{mark}</Text>
							</Text>
						);
					})}
				</Text>
			</Box>
			<Box width={reentryWidth} flexShrink={0}>
				{row.needsReentry ? <Text {...theme.text('warning')}> re-entry</Text> : null}
			</Box>
		</Box>
	);
}

/**
 * Data Sources: the shared data sources of the catalog, with which of their three values are set, empty or need
 * re-entry (after Delete Encrypted Content), and a dialog to create or edit one. SSRS does this in the web portal;
 * here it is the page Status's Re-entry line leads to. The list is paged by the database, one screen at a time.
 */
export default function DataSourcesPage({focused, visible, width, height, report}: PageProps) {
	const {session, revision, refresh} = useSession();
	const rowsShown = Math.max(1, height - fixedLines);
	const list = useDataSourceList(session, rowsShown);
	const [pending, setPending] = useState<Pending | undefined>(undefined);
	const [filtering, setFiltering] = useState(false);
	const [filterText, setFilterText] = useState('');
	const [actionError, setActionError] = useState<string | undefined>(undefined);
	const {run, running} = useOperation(report, refresh);
	const {reload} = list;

	// Another server may change data sources at any time: load again whenever the page is shown or refreshed.
	useEffect(() => {
		if (visible) void reload();
	}, [visible, revision, reload]);

	// The filter field closes when the focus leaves the page (Esc goes back to the page list, as everywhere).
	useEffect(() => {
		if (!focused) setFiltering(false);
	}, [focused]);

	const live = focused && pending === undefined;
	useKeyInput(
		(input, key) => {
			if (matchesBinding('page.next', input, key)) void list.move(1);
			else if (matchesBinding('page.previous', input, key)) void list.move(-1);
			else if (matchesBinding('dataSources.pageDown', input, key)) void list.movePage(1);
			else if (matchesBinding('dataSources.pageUp', input, key)) void list.movePage(-1);
			// Typing into the filter: every other key is the field's.
			else if (filtering) return;
			else if (matchesBinding('dataSources.filter', input, key)) setFiltering(true);
			else if (matchesBinding('dataSources.new', input, key)) setPending({action: 'new'});
			else if (matchesBinding('dataSources.edit', input, key) && list.selected) setPending({action: 'edit', row: list.selected});
			else if (matchesBinding('dataSources.remove', input, key) && list.selected && !running) {
				setActionError(undefined);
				setPending({action: 'remove', row: list.selected});
			}
		},
		{isActive: live},
	);

	const saved = (row: DataSourceSummary) => {
		setPending(undefined);
		setActionError(undefined);
		list.patch(row);
		// A new name the filter hides: show every name, so the admin sees the one just made.
		const hidden = filterText !== '' && !row.name.toLowerCase().includes(filterText.toLowerCase());
		if (hidden) {
			setFilterText('');
			void list.setFilter('');
			void reload({select: row.name, from: row.name});
		} else {
			void reload({select: row.name, from: pending?.action === 'new' ? row.name : undefined});
		}
	};

	const remove = async (row: DataSourceSummary) => {
		setPending(undefined);
		const name = displayText(row.name);
		const outcome = await run(async () => removeDataSource(session, row.name), () => `Removed data source ${name}`);
		if (outcome && !outcome.ok) setActionError(errorSummary(outcome.error));
		await reload();
	};

	if (pending?.action === 'new' || pending?.action === 'edit') {
		return (
			<DataSourceDialog
				existing={pending.action === 'edit' ? pending.row : undefined}
				width={width}
				height={height}
				report={report}
				onSaved={saved}
				onCancel={() => setPending(undefined)}
			/>
		);
	}

	if (pending?.action === 'remove') {
		const name = displayText(pending.row.name);
		return (
			<ConfirmDialog
				title="Remove Data Source"
				message={[
					`Remove the data source "${name}"?`,
					'Its connection string, user name and password are deleted; reports that use it fail until it is created again.',
				]}
				confirmLabel="Remove"
				width={width}
				onCancel={() => setPending(undefined)}
				onConfirm={() => void remove(pending.row)}
			/>
		);
	}

	const {view} = list;
	const page = view.page;
	const nameWidth = Math.max(8, width - 2 - fieldsWidth - reentryWidth);
	const matched = page === undefined ? '' : view.filter === '' ? pluralize(page.total, {one: 'data source', many: 'data sources'}) : `${formatCount(page.total)} match`;
	const error = actionError ?? view.error;
	const more = [page?.moreBefore ? '↑' : '', page?.moreAfter ? '↓' : ''].join('');
	return (
		<Box flexDirection="column">
			{filtering ? (
				<Box flexDirection="row">
					<TextField
						label="Filter:"
						value={filterText}
						focused={live}
						fieldWidth={Math.max(10, width - 9 - matched.length - 1)}
						onChange={value => {
							setFilterText(value);
							void list.setFilter(value);
						}}
						onSubmit={() => setFiltering(false)}
					/>
					<Text {...theme.text('muted')}> {matched}</Text>
				</Box>
			) : (
				<Text wrap="truncate-end">
					{view.filter === '' ? matched : `Filter "${displayText(view.filter)}": ${matched}`}
				</Text>
			)}
			<Box flexDirection="column" height={rowsShown} aria-role="list">
				{page === undefined && view.error === undefined ? <Text {...theme.text('muted')}>Loading…</Text> : null}
				{page?.rows.length === 0 ? (
					<Text {...theme.text('muted')} wrap="truncate-end">
						{view.filter === '' ? 'No data sources yet: n creates one.' : 'No data source name contains that text.'}
					</Text>
				) : null}
				{(page?.rows ?? []).map((row, index) => (
					<Row key={row.name} row={row} selected={index === view.cursor} focused={focused} nameWidth={nameWidth} />
				))}
			</Box>
			{/* The last line: what went wrong, or the legend of the marks. */}
			{error === undefined ? (
				// The rows are read in words: a screen reader hears only how many more there are, not the marks' key.
				<Text wrap="truncate-end" aria-label={more === '' ? ' ' : `${more} more`}>
					<Text {...theme.text('success')}>✔</Text>
					<Text {...theme.text('muted')}> set · empty </Text>
					<Text {...theme.text('warning')}>!</Text>
					<Text {...theme.text('muted')}> needs re-entry</Text>
					{more === '' ? null : <Text {...theme.text('accent')}>{`  ${more} more`}</Text>}
				</Text>
			) : (
				<Text {...theme.text('error')} wrap="truncate-end">
					✖ {error}
				</Text>
			)}
		</Box>
	);
}
