import type { Key } from 'ink';
import { nextSortOrder, type SortOrder } from './sort-orders.js';

export interface KeyState {
  order: SortOrder;
  /** Undefined: the first row. */
  selectedId: string | undefined;
  confirmingZero: boolean;
  /** `w`: the latest compiles take the arrows, and the selected one's explanation is shown. */
  explaining: boolean;
  /** The selected compile (compileId); undefined: the newest. */
  selectedCompile: string | undefined;
}

export const INITIAL_KEY_STATE: KeyState = {
  order: 'recent',
  selectedId: undefined,
  confirmingZero: false,
  explaining: false,
  selectedCompile: undefined,
};

/** Moves a selection one step through ids (undefined: the first). */
function step(ids: readonly string[], selected: string | undefined, up: boolean): string | undefined {
  if (ids.length === 0) return selected;
  const index = Math.max(0, ids.indexOf(selected ?? ids[0]!));
  return ids[up ? Math.max(0, index - 1) : Math.min(ids.length - 1, index + 1)];
}

/**
 * What a key does, as a pure step: keys typed faster than the screen redraws (held arrows) each apply to
 * the state the previous one left, not to the last drawn one.
 */
export function applyKey(
  state: KeyState,
  input: string,
  key: Pick<Key, 'upArrow' | 'downArrow' | 'escape'>,
  rowIds: readonly string[],
  compileIds: readonly string[] = [],
): { state: KeyState; effect?: 'quit' | 'zero' } {
  if (state.confirmingZero) {
    const confirmed = input === 'y' || input === 'Y';
    return { state: { ...state, confirmingZero: false }, ...(confirmed ? { effect: 'zero' as const } : {}) };
  }
  if (state.explaining) {
    if (input === 'w' || key.escape) return { state: { ...state, explaining: false } };
    if (input === 'q') return { state, effect: 'quit' };
    const up = key.upArrow || input === 'k';
    if (up || key.downArrow || input === 'j')
      return { state: { ...state, selectedCompile: step(compileIds, state.selectedCompile, up) } };
    return { state };
  }
  if (input === 'w')
    return {
      state: {
        ...state,
        explaining: true,
        selectedCompile: compileIds.includes(state.selectedCompile ?? '') ? state.selectedCompile : compileIds[0],
      },
    };
  if (input === 'q' || key.escape) return { state, effect: 'quit' };
  if (input === 's') return { state: { ...state, order: nextSortOrder(state.order) } };
  if (input === 'z') return { state: { ...state, confirmingZero: true } };
  const up = key.upArrow || input === 'k';
  if (up || key.downArrow || input === 'j') {
    if (rowIds.length === 0) return { state };
    return { state: { ...state, selectedId: step(rowIds, state.selectedId, up) } };
  }
  return { state };
}
