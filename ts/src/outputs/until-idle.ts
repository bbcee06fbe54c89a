/**
 * Waits for an output's in-flight work to finish, but never past `deadlineMs` (a `Date.now()` time):
 * `drain()` must end by its deadline whatever the network does. The output calls the `wake` it was
 * handed when its last delivery settles; it is handed `null` again once the wait is over.
 */
export async function untilIdle(deadlineMs: number, setWake: (wake: (() => void) | null) => void): Promise<void> {
  const wait = deadlineMs - Date.now();
  if (wait <= 0) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, wait);
    setWake(done);
    function done(): void {
      clearTimeout(timer);
      resolve();
    }
  });
  setWake(null);
}
