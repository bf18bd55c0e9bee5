/**
 * Answers worked out once per key (a compiler or linker binary, by path and identity) and shared by
 * the requests that ask meanwhile. A failed answer is forgotten, so the next request tries again.
 */
export class RememberedProbes<T> {
  private readonly answers = new Map<string, Promise<T>>();

  get(key: string, probe: () => Promise<T>): Promise<T> {
    let answer = this.answers.get(key);
    if (!answer) {
      answer = probe();
      answer.catch(() => this.answers.delete(key));
      this.answers.set(key, answer);
    }
    return answer;
  }
}
