# Imported by the driver's forkserver at its start (`pool.context` lists it to preload) and by
# nothing else: importing it is what it does. The forkserver is the parent of every driver
# process, and each driver asks the kernel for SIGTERM when the forkserver dies
# (`worker.main`). The forkserver, though, would outlive a SIGKILLed harness: it ends when its
# "harness alive" pipe closes, and multiprocessing hands that pipe's other end to every process
# it starts - the drivers keep it open. So the forkserver, too, asks for SIGTERM when its own
# parent, the harness, dies; the drivers follow it (Linux; elsewhere a no-op).
"""Forkserver set-up: die with the harness."""

from harness.process.lifetime import die_with_parent

die_with_parent()
