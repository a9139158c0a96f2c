import test from 'ava';
import Checklist from '../../source/ui/components/Checklist.tsx';
import KeyHints from '../../source/ui/components/KeyHints.tsx';
import ProgressBar, {progressFraction} from '../../source/ui/components/ProgressBar.tsx';
import Spinner, {spinnerFrames} from '../../source/ui/components/Spinner.tsx';
import {frame, settle, settleUntil} from '../helpers/ink.ts';
import {renderUi} from '../helpers/render-ui.tsx';

test('Checklist shows ✔ for met and ✖ for unmet rules, and follows changes', t => {
	const rules = [
		{id: 'length', label: 'At least 8 characters', ok: false},
		{id: 'upper', label: 'An uppercase letter', ok: true},
	];
	const rendered = renderUi(<Checklist items={rules} />);
	t.is(frame(rendered), '✖ At least 8 characters\n✔ An uppercase letter');
	rendered.rerender(<Checklist items={rules.map(rule => ({...rule, ok: true}))} />);
	t.is(frame(rendered), '✔ At least 8 characters\n✔ An uppercase letter');
	rendered.unmount();
});

test('ProgressBar shows counts and percentage and fits its width', t => {
	const rendered = renderUi(<ProgressBar label="Re-encrypting" done={1234} total={5000} width={60} />);
	const output = frame(rendered);
	t.regex(output, /^Re-encrypting \[█+░+\] 1,234\/5,000 24%$/);
	t.is(output.length, 60);
	rendered.rerender(<ProgressBar done={5} total={5} width={30} />);
	t.regex(frame(rendered), /^\[█+\] 5\/5 100%$/);
	rendered.rerender(<ProgressBar done={3} total={5} width={8} />);
	t.is(frame(rendered), '3/5 60%');
	t.is(progressFraction(0, 0), 1);
	t.is(progressFraction(7, 5), 1);
	rendered.unmount();
});

test('Spinner keeps ticking while its promise runs, then disappears', async t => {
	let finish!: () => void;
	const work = new Promise<void>(resolve => {
		finish = resolve;
	});
	const rendered = renderUi(<Spinner label="Deriving key" promise={work} intervalMs={10} />);
	// Until three frames were seen, however slow the machine is: the test proves ticking, not a speed.
	const seen = () => new Set(rendered.frames.map(output => output.slice(0, 1)).filter(char => spinnerFrames.includes(char)));
	await settleUntil(() => seen().size >= 3, 10_000);
	t.true(seen().size >= 3, `only ${seen().size} frames`);
	t.true(frame(rendered).endsWith(' Deriving key'));
	finish();
	await settle();
	t.is(frame(rendered), '');
	rendered.unmount();
});

test('KeyHints drops whole hints that do not fit, and shows a status instead when given', t => {
	const wide = renderUi(<KeyHints scope="list" width={80} />);
	t.is(frame(wide), '↑↓ move  1-0 jump  Enter open  q quit  ? help');
	wide.unmount();
	const narrow = renderUi(<KeyHints scope="list" width={20} />);
	t.is(frame(narrow), '↑↓ move  1-0 jump');
	narrow.unmount();
	const status = renderUi(<KeyHints scope="page" width={80} status="Stopping" />);
	t.is(frame(status), 'Stopping');
	status.unmount();
});
