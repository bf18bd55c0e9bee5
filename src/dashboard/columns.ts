import { fitText } from './glyphs.js';

export interface Column<Row> {
  title: string;
  width: number;
  align: 'left' | 'right';
  /** 1 is kept longest: the columns dropped first on a narrow terminal have the highest numbers. */
  priority: number;
  /** The one column that takes the room the others leave, down to its `width`. */
  flexible?: boolean;
  cell(row: Row, width: number): string;
}

/** The columns that fit in `width`, in their order, with the flexible one widened to fill the line. */
export function fitColumns<Row>(columns: ReadonlyArray<Column<Row>>, width: number, gap = 1): Array<Column<Row>> {
  let kept = [...columns];
  const needed = (set: ReadonlyArray<Column<Row>>): number =>
    set.reduce((sum, column) => sum + column.width, 0) + gap * Math.max(0, set.length - 1);
  while (needed(kept) > width && kept.length > 1) {
    const dropped = kept.reduce((worst, column) => (column.priority > worst.priority ? column : worst));
    if (dropped.priority <= 1) break;
    kept = kept.filter((column) => column !== dropped);
  }
  const spare = Math.max(0, width - needed(kept));
  return kept.map((column) => (column.flexible ? { ...column, width: column.width + spare } : column));
}

export function renderLine<Row>(columns: ReadonlyArray<Column<Row>>, row: Row, gap = 1): string {
  return columns
    .map((column) => fitText(column.cell(row, column.width), column.width, column.align))
    .join(' '.repeat(gap));
}

export function renderHeader<Row>(columns: ReadonlyArray<Column<Row>>, gap = 1): string {
  return columns.map((column) => fitText(column.title, column.width, column.align)).join(' '.repeat(gap));
}
