import type React from 'react';
import {useContext, useLayoutEffect, useState} from 'react';
import {Text} from './components/Text.tsx';
import {KeyDispatchContext} from './contexts/key-dispatch-context.ts';
import type {PageProps} from './page-types.ts';
import {theme} from './theme.ts';

type PageModule = {default: React.ComponentType<PageProps>};

export type LazyPage = React.ComponentType<PageProps> & {preload: () => Promise<void>};

/**
 * A page whose code loads on first need, so the first frame does not parse the pages it does not show (nor the key
 * operations and password policy they import). `preload()` loads it ahead of time; once loaded it renders at once.
 * Until then it shows "Loading…" and holds the keys typed meanwhile, which are delivered to it once it is there.
 */
export function lazyPage(load: () => Promise<PageModule>): LazyPage {
	let component: React.ComponentType<PageProps> | undefined;
	let loading: Promise<void> | undefined;
	const preload = async () => {
		loading ??= load().then(module => {
			component = module.default;
		});
		return loading;
	};

	function Page(props: PageProps) {
		const dispatcher = useContext(KeyDispatchContext);
		const [failure, setFailure] = useState<string | undefined>();
		const [, setLoaded] = useState(false);
		useLayoutEffect(() => {
			if (component !== undefined) return;
			const shown = preload().then(
				() => setLoaded(true),
				(error: unknown) => setFailure(error instanceof Error ? error.message : String(error)),
			);
			// In a layout effect: before the next key is taken from the queue, so that key waits for this page.
			dispatcher?.hold(shown);
		}, [dispatcher]);

		if (component !== undefined) {
			const Loaded = component;
			return <Loaded {...props} />;
		}

		if (failure === undefined) return <Text {...theme.text('muted')}>Loading…</Text>;
		return (
			<>
				<Text {...theme.text('error')}>✖ This page could not be loaded: {failure}</Text>
				<Text {...theme.text('muted')}>The installation is incomplete: reinstall rscm (in a checkout: npm run build).</Text>
			</>
		);
	}

	return Object.assign(Page, {preload});
}
