/** A set of listeners where one listener's failure keeps neither the caller nor the other listeners from going on. */
export class Listeners<Args extends unknown[]> {
  private readonly set = new Set<(...args: Args) => void>()

  /** Adds a listener; the returned function removes it. */
  add(listener: (...args: Args) => void): () => void {
    this.set.add(listener)
    return () => this.set.delete(listener)
  }

  emit(...args: Args): void {
    for (const l of this.set) {
      try {
        l(...args)
      } catch {
        // a listener's failure must not undo what already happened (a lock, a write on disk)
      }
    }
  }
}
