import {useCallback, useRef, useState} from 'react';
import {pageDataSources, type DataSourcePage, type DataSourcePageQuery, type DataSourceSummary} from '../../../core/data-sources.ts';
import {toRscmError} from '../../../errors.ts';
import type {Session} from '../../../core/session.ts';

/** What the list shows: one page of rows from the database (never more), and the selected row in it. */
export type ListView = {
	filter: string;
	page: DataSourcePage | undefined;
	cursor: number;
	error: string | undefined;
};

export type DataSourceList = {
	view: ListView;
	selected: DataSourceSummary | undefined;
	/** ↑/↓: one row; at the edge of the page the window slides by one row, loaded from the database. */
	move: (step: 1 | -1) => Promise<void>;
	/** PgUp/PgDn: the previous or next screen; on the first or last one, the cursor goes to its end. */
	movePage: (step: 1 | -1) => Promise<void>;
	/** Shows the names containing `filter` from the first one (typing: each keystroke; stale ones are skipped). */
	setFilter: (filter: string) => Promise<void>;
	/** Loads the page again where it stands (after a change, here or on another server); `select` picks a row by name. */
	reload: (options?: {select?: string; from?: string}) => Promise<void>;
	/** Shows a saved row's new state before the reload that follows it. */
	patch: (row: DataSourceSummary) => void;
};

/**
 * The Data Sources list as keyset pages of `rows` rows: every move is a query for one screen, so 100,000 data
 * sources cost what 10 do. Moves run one after another in a queue and each starts from the view the one before it
 * left, so ↓↓↓ arriving in one read moves three rows, never three times from the same place.
 */
export function useDataSourceList(session: Session, rows: number): DataSourceList {
	const [view, setView] = useState<ListView>({filter: '', page: undefined, cursor: 0, error: undefined});
	const latest = useRef(view);
	const queue = useRef<Promise<void>>(Promise.resolve());
	// The filter as last typed: a queued reload for an older one is skipped.
	const wantedFilter = useRef('');
	const limit = Math.max(1, rows);

	const commit = useCallback((next: ListView) => {
		latest.current = next;
		setView(next);
	}, []);

	const enqueue = useCallback(
		async (task: (current: ListView) => Promise<ListView | undefined>) => {
			const run = async () => {
				try {
					const next = await task(latest.current);
					if (next !== undefined) commit(next);
				} catch (error) {
					commit({...latest.current, error: toRscmError(error).message});
				}
			};

			queue.current = queue.current.then(run);
			return queue.current;
		},
		[commit],
	);

	const load = useCallback(
		async (current: ListView, query: Omit<DataSourcePageQuery, 'filter' | 'limit'>, cursor: (page: DataSourcePage) => number) => {
			const page = await pageDataSources(session, {...query, filter: current.filter, limit});
			return {...current, page, cursor: clamp(cursor(page), page.rows.length), error: undefined};
		},
		[session, limit],
	);

	const move = useCallback(
		async (step: 1 | -1) =>
			enqueue(async current => {
				const page = current.page;
				if (page === undefined) return undefined;
				const target = current.cursor + step;
				if (target >= 0 && target < page.rows.length) return {...current, cursor: target};
				if (step === 1 && page.moreAfter) return load(current, {after: page.rows[0]!.name}, next => next.rows.length - 1);
				if (step === -1 && page.moreBefore) return load(current, {before: page.rows.at(-1)!.name}, () => 0);
				return undefined;
			}),
		[enqueue, load],
	);

	const movePage = useCallback(
		async (step: 1 | -1) =>
			enqueue(async current => {
				const page = current.page;
				if (page === undefined || page.rows.length === 0) return undefined;
				if (step === 1 && page.moreAfter) return load(current, {after: page.rows.at(-1)!.name}, () => current.cursor);
				if (step === -1 && page.moreBefore) return load(current, {before: page.rows[0]!.name}, () => current.cursor);
				return {...current, cursor: step === 1 ? page.rows.length - 1 : 0};
			}),
		[enqueue, load],
	);

	const setFilter = useCallback(
		async (filter: string) => {
			wantedFilter.current = filter;
			return enqueue(async current => {
				if (filter !== wantedFilter.current) return undefined;
				return load({...current, filter}, {}, () => 0);
			});
		},
		[enqueue, load],
	);

	const reload = useCallback(
		async (options: {select?: string; from?: string} = {}) =>
			enqueue(async current => {
				const selectedName = options.select ?? current.page?.rows[current.cursor]?.name;
				const from = options.from ?? current.page?.rows[0]?.name;
				return load(current, from === undefined ? {} : {after: from, inclusive: true}, page => {
					const index = page.rows.findIndex(row => row.name === selectedName);
					return index === -1 ? current.cursor : index;
				});
			}),
		[enqueue, load],
	);

	const patch = useCallback(
		(row: DataSourceSummary) => {
			const current = latest.current;
			if (current.page === undefined) return;
			const rowsNow = current.page.rows.map(existing => (existing.name === row.name ? row : existing));
			commit({...current, page: {...current.page, rows: rowsNow}});
		},
		[commit],
	);

	return {view, selected: view.page?.rows[view.cursor], move, movePage, setFilter, reload, patch};
}

function clamp(cursor: number, length: number): number {
	return Math.max(0, Math.min(cursor, length - 1));
}
