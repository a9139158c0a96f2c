// The kinds' labels and location forms, for the pages and the commands, which see the catalog only through the core.
// A module of its own, not part of catalog-connection.ts: the Status page, on the first frame, needs only the labels.
export {catalogCopyTargets, catalogKindLabel, catalogLocationForms, catalogLocationKinds} from '../catalog/catalog-kinds.ts';
