export class TableViews {}
