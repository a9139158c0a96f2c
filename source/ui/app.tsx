import {useCallback, useContext, useEffect, useMemo, useRef, useState} from 'react';
import {Box, useApp} from 'ink';
import {Text} from './components/Text.tsx';
import HelpOverlay from './components/HelpOverlay.tsx';
import KeyDispatchProvider from './components/KeyDispatchProvider.tsx';
import KeyHints from './components/KeyHints.tsx';
import ModalProvider from './components/ModalProvider.tsx';
import NavigationList from './components/NavigationList.tsx';
import Panel from './components/Panel.tsx';
import ResultsPane, {toOneLine, type ResultEntry} from './components/ResultsPane.tsx';
import TooSmall from './components/TooSmall.tsx';
import {ExitContext} from './contexts/exit-context.ts';
import {TextEntryContext} from './contexts/text-entry-context.ts';
import {useLifecycleState} from './hooks/use-exit-request.ts';
import {useIsModalOpen} from './hooks/use-modal-layer.ts';
import {useTerminalSize} from './hooks/use-terminal-size.ts';
import {matchesBinding} from './key/bindings.ts';
import {computeLayout, minimumSize} from './layout.ts';
import {UiLifecycle} from './lifecycle.ts';
import type {PageDefinition, PageResult} from './page-types.ts';
import {theme} from './theme.ts';
import {useKeyInput} from './hooks/use-key-input.ts';

export type ShellTitle = {machine: string; instance: string};

export type AppProps = {
	pages: readonly PageDefinition[];
	title: ShellTitle;
	/** Page id selected at start; the first page otherwise. */
	initialPage?: string;
	/**
	 * Where the keyboard focus starts: the list (default) or inside the initial page. First run starts inside the
	 * Database page so that one key press (Enter on its focused "Create catalog" button) creates the catalog.
	 */
	initialFocus?: Focus;
	/** The exit coordinator; run-ui passes its own. Without one, quitting just unmounts the app. */
	lifecycle?: UiLifecycle;
};

export type Focus = 'list' | 'page';

/** Results kept in memory: far more than any screen shows, small enough to never matter. */
const resultsKept = 200;

export function shellTitle({machine, instance}: ShellTitle): string {
	return `Report Server Configuration Manager — ${machine}\\${instance}`;
}

function Shell({
	pages,
	title,
	initialPage,
	initialFocus = 'list',
	lifecycle,
}: Required<Omit<AppProps, 'initialPage' | 'initialFocus'>> & {initialPage?: string; initialFocus?: Focus}) {
	const size = useTerminalSize();
	const layout = computeLayout(size);
	const ordered = useMemo(() => [...pages].sort((a, b) => a.number - b.number), [pages]);
	// Once the first frame is on screen, load every page's code, so moving through the list never waits for it. A
	// page that fails to load says so when it is shown.
	useEffect(() => {
		for (const page of pages) page.preload?.().catch(() => undefined);
	}, [pages]);
	const firstId = ordered.find(page => page.id === initialPage)?.id ?? ordered[0]?.id ?? '';
	const [selectedId, setSelectedId] = useState(firstId);
	const [visited, setVisited] = useState<ReadonlySet<string>>(() => new Set([firstId]));
	const [focus, setFocusState] = useState<Focus>(initialFocus);
	// Read by the key handler: keys that arrive together must see the focus the previous key gave.
	const focusRef = useRef<Focus>(initialFocus);
	const setFocus = useCallback((next: Focus) => {
		focusRef.current = next;
		setFocusState(next);
	}, []);
	const [helpOpen, setHelpOpen] = useState(false);
	const [results, setResults] = useState<readonly ResultEntry[]>([]);
	const nextResultId = useRef(1);
	const modalOpen = useIsModalOpen();
	const state = useLifecycleState();
	const textEntry = useContext(TextEntryContext);

	const select = useCallback((id: string) => {
		setSelectedId(id);
		setVisited(previous => (previous.has(id) ? previous : new Set([...previous, id])));
	}, []);
	const enterPage = useCallback(() => setFocus('page'), [setFocus]);
	const leave = useCallback(() => setFocus('list'), [setFocus]);
	const open = useCallback(
		(id: string) => {
			if (!pages.some(page => page.id === id)) return;
			select(id);
			setFocus('page');
		},
		[pages, select, setFocus],
	);
	const report = useCallback((result: PageResult) => {
		const entry: ResultEntry = {id: nextResultId.current++, ok: result.ok, message: toOneLine(result.message)};
		setResults(previous => [...previous.slice(-(resultsKept - 1)), entry]);
	}, []);

	useKeyInput((input, key) => {
		// Ctrl+C works everywhere, dialogs and the too-small screen included; a second one forces the exit.
		if (matchesBinding('global.quit', input, key)) {
			lifecycle.requestExit('interrupt');
			return;
		}

		if (state === 'stopping' || modalOpen || layout.tooSmall) return;
		const typing = (textEntry?.active.size ?? 0) > 0;
		if (!typing && matchesBinding('global.help', input, key)) {
			setHelpOpen(true);
			return;
		}

		if (focusRef.current === 'list') {
			if (matchesBinding('list.quit', input, key)) lifecycle.requestExit('quit');
			return;
		}

		// In a text field ← moves the cursor; Esc always goes back.
		if (key.escape || (!typing && matchesBinding('page.back', input, key))) setFocus('list');
	});

	const scope = modalOpen ? 'dialog' : focus;
	const status =
		state === 'stopping' && lifecycle.hasPendingCleanups()
			? 'Stopping: waiting for the running operation (Ctrl+C again to force)'
			: undefined;
	const blocked = modalOpen || helpOpen || layout.tooSmall;
	const pageFocused = focus === 'page' && !helpOpen && !layout.tooSmall && state === 'running';
	const listFocused = focus === 'list' && !blocked && state === 'running';
	const selected = ordered.find(page => page.id === selectedId);

	return (
		<>
			{layout.tooSmall ? <TooSmall size={size} minimum={minimumSize} /> : null}
			<Box
				flexDirection="column"
				width={size.columns}
				height={layout.frameHeight}
				// Vertical only: nothing here is wider than the terminal (every child is sized from it), and Ink clips
				// a horizontally clipped box line by line with slice-ansi on every frame, ~8 ms of each one.
				overflowY="hidden"
				display={layout.tooSmall ? 'none' : 'flex'}
			>
				<Text wrap="truncate-end" {...theme.text('title')}>
					{shellTitle(title)}
				</Text>
				<Box flexDirection="row" height={layout.bodyHeight} display={helpOpen ? 'none' : 'flex'}>
					<Panel width={layout.navigationWidth} height={layout.bodyHeight} focused={listFocused} paddingX={0}>
						<NavigationList
							pages={ordered}
							selectedId={selectedId}
							focused={listFocused}
							width={layout.navigationWidth - 2}
							height={layout.bodyHeight - 2}
							onSelect={select}
							onEnter={enterPage}
						/>
					</Panel>
					<Panel title={selected?.title} width={layout.pageWidth} height={layout.bodyHeight} focused={pageFocused}>
						{ordered
							.filter(page => visited.has(page.id))
							.map(page => {
								const Page = page.component;
								const visible = page.id === selectedId;
								return (
									// flexShrink 0: a page taller than the panel is clipped at the bottom. Shrunk to fit instead, Yoga
									// gives some rows no height and the next row is drawn over them.
									<Box key={page.id} display={visible ? 'flex' : 'none'} flexDirection="column" flexShrink={0}>
										<Page
											focused={visible && pageFocused}
											visible={visible}
											width={layout.page.width}
											height={layout.page.height}
											report={report}
											leave={leave}
											exitSignal={lifecycle.signal}
											onExitRequest={lifecycle.onExitRequest}
											open={open}
										/>
									</Box>
								);
							})}
					</Panel>
				</Box>
				{helpOpen ? (
					<HelpOverlay width={size.columns} height={layout.bodyHeight} page={selectedId} onClose={() => setHelpOpen(false)} />
				) : null}
				<ResultsPane entries={results} width={size.columns} height={layout.resultsHeight} />
				<KeyHints scope={scope} page={selectedId} width={size.columns} status={status} />
			</Box>
		</>
	);
}

/**
 * The Configuration Manager shell: title, page list, the selected page, Results and the key hints. It owns focus
 * (list or page), the Results pane and the help overlay; pages own everything inside their panel.
 */
export default function App({pages, title, initialPage, initialFocus, lifecycle}: AppProps) {
	const {exit} = useApp();
	const [fallback] = useState(() => new UiLifecycle({onStop: () => exit()}));
	const active = lifecycle ?? fallback;
	return (
		<ExitContext.Provider value={active}>
			<KeyDispatchProvider>
				<ModalProvider>
					<Shell pages={pages} title={title} initialPage={initialPage} initialFocus={initialFocus} lifecycle={active} />
				</ModalProvider>
			</KeyDispatchProvider>
		</ExitContext.Provider>
	);
}
