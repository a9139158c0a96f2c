import type React from 'react';
import {render} from 'ink-testing-library';
import KeyDispatchProvider from '../../source/ui/components/KeyDispatchProvider.tsx';
import ModalProvider from '../../source/ui/components/ModalProvider.tsx';

export type RenderedUi = ReturnType<typeof render>;

export type RenderUiOptions = {
	/** The key dispatcher's hold limit (KeyDispatchProvider's `holdLimitMs`), set small by tests that reach it. */
	holdLimitMs?: number;
};

function withProviders(element: React.ReactElement, options: RenderUiOptions): React.ReactElement {
	return (
		<KeyDispatchProvider holdLimitMs={options.holdLimitMs}>
			<ModalProvider>{element}</ModalProvider>
		</KeyDispatchProvider>
	);
}

/**
 * Renders a component under the providers the app puts around its pages (the key dispatcher, with its text-entry
 * registry, and the modal stack), so a component test takes keys the way the app does: there is no other path. The
 * app itself (App) brings its own and is rendered with ink-testing-library's render.
 */
export function renderUi(element: React.ReactElement, options: RenderUiOptions = {}): RenderedUi {
	const rendered = render(withProviders(element, options));
	return {
		...rendered,
		rerender(next: React.ReactElement) {
			rendered.rerender(withProviders(next, options));
		},
	};
}
