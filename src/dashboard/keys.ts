import type { Key } from 'ink';
import { nextSortOrder, type SortOrder } from './sort-orders.js';

export interface KeyState {
  order: SortOrder;
  /** Undefined: the first row. */
  selectedId: string | undefined;
  confirmingZero: boolean;
}

export const INITIAL_KEY_STATE: KeyState = { order: 'recent', selectedId: undefined, confirmingZero: false };

/**
 * What a key does, as a pure step: keys typed faster than the screen redraws (held arrows) each apply to
 * the state the previous one left, not to the last drawn one.
 */
export function applyKey(state: KeyState, input: string, key: Pick<Key, 'upArrow' | 'downArrow' | 'escape'>, rowIds: readonly string[]): { state: KeyState; effect?: 'quit' | 'zero' } {
  if (state.confirmingZero) {
    const confirmed = input === 'y' || input === 'Y';
    return { state: { ...state, confirmingZero: false }, ...(confirmed ? { effect: 'zero' as const } : {}) };
  }
  if (input === 'q' || key.escape) return { state, effect: 'quit' };
  if (input === 's') return { state: { ...state, order: nextSortOrder(state.order) } };
  if (input === 'z') return { state: { ...state, confirmingZero: true } };
  const up = key.upArrow || input === 'k';
  if (up || key.downArrow || input === 'j') {
    if (rowIds.length === 0) return { state };
    const index = Math.max(0, rowIds.indexOf(state.selectedId ?? rowIds[0]!));
    const next = up ? Math.max(0, index - 1) : Math.min(rowIds.length - 1, index + 1);
    return { state: { ...state, selectedId: rowIds[next] } };
  }
  return { state };
}
