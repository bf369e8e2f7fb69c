#!/usr/bin/python3
"""A pipeline host for browser tests that act on the element while it runs,
which gst-launch-1.0 cannot: the arguments are a gst-launch-1.0 pipeline
description (its tokens; -e and -m are accepted and implied). Prints the bus's
element messages, warnings and errors as `gst-launch-1.0 -m` does, so
publisher.mjs reads it the same way, and takes commands on stdin, one per
line:

    mute <participant> <0|1>   emit the element "room"'s set-audio-muted

SIGINT sends EOS (recordings are finished) and exits once it is through.
"""
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GLib', '2.0')
from gi.repository import GLib, Gst  # noqa: E402


def main():
    Gst.init(None)
    args = [a for a in sys.argv[1:] if a not in ('-e', '-m')]
    pipeline = Gst.parse_launchv(args)
    room = pipeline.get_by_name('room')
    loop = GLib.MainLoop()
    status = {'code': 0}

    def on_message(_bus, msg):
        src = msg.src.get_name() if msg.src else '?'
        if msg.type == Gst.MessageType.ELEMENT and msg.get_structure():
            print(f'Got message from element "{src}" (element): {msg.get_structure().to_string()}',
                  flush=True)
        elif msg.type == Gst.MessageType.WARNING:
            err, debug = msg.parse_warning()
            print(f'WARNING: from element {msg.src.get_path_string()}: {err.message}\n'
                  f'Additional debug info:\n{debug}', flush=True)
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print(f'ERROR: from element {msg.src.get_path_string()}: {err.message}\n'
                  f'Additional debug info:\n{debug}', flush=True)
            status['code'] = 1
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()
        elif msg.type == Gst.MessageType.LATENCY:
            pipeline.recalculate_latency()

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect('message', on_message)

    def on_command(source, _condition):
        line = source.readline()
        if not line:
            return False
        words = line.split()
        if len(words) == 3 and words[0] == 'mute' and room is not None:
            room.emit('set-audio-muted', words[1], words[2] == '1')
        else:
            print(f'roomhost: unknown command {line.strip()!r}', flush=True)
        return True

    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, on_command)

    def on_sigint():
        pipeline.send_event(Gst.Event.new_eos())
        return False

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, on_sigint)
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print('ERROR: the pipeline did not start', flush=True)
        return 1
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    return status['code']


if __name__ == '__main__':
    sys.exit(main())
