# The sending thread (the lecture's): it takes Write commands from actors, sends the bytes -
# across as many send() calls as the kernel needs - and acknowledges each write to the actor that
# asked, once the last byte is in the kernel (Akka IO's `Write(data, ack)`).
#
# Rules of this file: writes to one connection go out in the order they were told; a connection
# with output the kernel would not take yet is watched for writability and no later write of it
# jumps the queue. This thread never holds output back on its own: how much may be outstanding
# is the connection actor's decision, made from the acknowledgements. When a connection closes,
# its socket passes to the receiving thread, which closes it, so that only the thread owning the
# input selector ever closes a descriptor registered in it.
"""`SendingThread`: write, acknowledge, half-close, hand over for closing."""

from __future__ import annotations

import contextlib
import selectors
import socket

from impls.actor.iothread import IoThread
from impls.actor.link import Link
from impls.actor.messages import Close, CloseSocket, ErrorClosed, ShutdownOutput, Write
from impls.actor.receiver import ReceivingThread

SenderCommand = Write | ShutdownOutput | Close


class SendingThread(IoThread[SenderCommand]):
    """Writes for every connection; watches only those with output pending."""

    def __init__(self, receiver: ReceivingThread) -> None:
        super().__init__("actor-sender")
        self._receiver = receiver
        self._pending: set[Link] = set()

    def handle(self, command: SenderCommand) -> None:
        match command:
            case Write(link, data, ack, reply_to):
                if link.broken:
                    return
                if link.out:
                    link.out.append(command)
                    return
                try:
                    sent = link.sock.send(data)  # the common case: all of it, at once
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError as exc:
                    self._fail(link, exc)
                    return
                if sent == len(data):
                    if ack is not None:
                        reply_to.tell(ack)
                    return
                link.out.append(command)
                link.out_offset = sent
                self._watch(link)
            case ShutdownOutput(link):
                if link.out:
                    link.out.append(command)
                elif not link.broken:
                    self._shutdown(command)
            case Close(link):
                link.broken = True
                link.out.clear()
                self._unwatch(link)
                self._receiver.tell(CloseSocket(link))

    def ready(self, key: selectors.SelectorKey, mask: int) -> None:
        self._flush(key.data)

    def cleanup(self) -> None:
        self._pending.clear()

    def _flush(self, link: Link) -> None:
        """Send queued output until the kernel takes no more or none is left."""
        out = link.out
        while out:
            head = out[0]
            if isinstance(head, ShutdownOutput):
                out.popleft()
                self._shutdown(head)
                continue
            try:
                sent = link.sock.send(memoryview(head.data)[link.out_offset :])
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._fail(link, exc)
                return
            link.out_offset += sent
            if link.out_offset < len(head.data):
                return  # the kernel's buffer is full: wait for writability
            out.popleft()
            link.out_offset = 0
            if head.ack is not None:
                head.reply_to.tell(head.ack)
        self._unwatch(link)

    def _shutdown(self, command: ShutdownOutput) -> None:
        # OSError: the peer is gone already; the actor closes the socket next either way
        with contextlib.suppress(OSError):
            command.link.sock.shutdown(socket.SHUT_WR)
        command.reply_to.tell(command.ack)

    def _fail(self, link: Link, exc: OSError) -> None:
        link.broken = True
        link.out.clear()
        self._unwatch(link)
        if link.actor is not None:
            link.actor.tell(ErrorClosed(str(exc)))

    def _watch(self, link: Link) -> None:
        if not link.writing:
            self.selector.register(link.sock, selectors.EVENT_WRITE, link)
            link.writing = True
            self._pending.add(link)

    def _unwatch(self, link: Link) -> None:
        if link.writing:
            self.selector.unregister(link.sock)
            link.writing = False
            self._pending.discard(link)
