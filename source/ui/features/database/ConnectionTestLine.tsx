import {Text} from '../../components/Text.tsx';
import type {CatalogConnectionTest} from '../../../core/catalog-connection.ts';
import {theme} from '../../theme.ts';

/** What Test Connection found: the server and whether a catalog is already there (SSRS shows the same). */
export function describeConnectionTest(test: CatalogConnectionTest): string {
	if (test.catalog === undefined) return `${test.serverVersion}: connected, no catalog here`;
	const {catalog} = test;
	return `${test.serverVersion}: catalog ${catalog.catalogId.slice(0, 8)}… (${catalog.instances} instance${catalog.instances === 1 ? '' : 's'}, ${catalog.hasKey ? 'has a key' : 'no key'})`;
}

export default function ConnectionTestLine({test}: {test: CatalogConnectionTest | undefined}) {
	if (test === undefined) return null;
	return (
		<Text wrap="wrap">
			<Text {...theme.text('success')}>✔</Text> {describeConnectionTest(test)}
		</Text>
	);
}
