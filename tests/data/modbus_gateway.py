#!/usr/bin/python3
"""A Modbus TCP gateway with slaves behind it, on pymodbus's own server (Debian python3-pymodbus 3.0).

The exporter's Modbus TCP and RTU-over-TCP transports are tested against it: a server someone else
wrote, speaking MBAP (ModbusSocketFramer) or RTU frames with their CRC over the TCP stream
(ModbusRtuFramer), as the gateways that put RS-485 lines on Ethernet do.

    modbus_gateway.py --port 0 --framing tcp --slave 1:0=229.8,6=4.25 --slave 2:0=231.5

Each --slave is a unit id and float32 values (input registers, high word first) at register
addresses; a slave's input registers run from 0 to 0x4F, so a read beyond them is answered with
exception 0x02 (illegal data address). Lines on stdout, flushed: "listening PORT" once the socket
listens, "connected HOST:PORT" and "closed HOST:PORT" for each client connection. Commands on
stdin, each answered "ok COMMAND": "silence UNIT" (the unit gets no answer at all, as behind a
gateway whose RS-485 device went quiet), "answer UNIT" (it answers again), anything else (a
"sync": every line printed before the answer has been written). End of stdin stops the
server; so does SIGTERM or SIGKILL.
"""

import argparse
import asyncio
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.framer.socket_framer import ModbusSocketFramer
from pymodbus.server.async_io import ModbusConnectedRequestHandler, ModbusTcpServer

REGISTERS = 0x50


def say(*words):
    print(*words, flush=True)


def slave(spec):
    unit, _, values = spec.partition(":")
    registers = [0] * REGISTERS
    for item in filter(None, values.split(",")):
        address, _, value = item.partition("=")
        address = int(address, 0)
        high, low = struct.unpack(">HH", struct.pack(">f", float(value)))
        registers[address], registers[address + 1] = high, low
    # zero_mode: protocol address N is the block's N (pymodbus otherwise adds 1).
    context = ModbusSlaveContext(ir=ModbusSequentialDataBlock(0, registers), hr=ModbusSequentialDataBlock(0, list(registers)), zero_mode=True)
    return int(unit), context


class LoggingHandler(ModbusConnectedRequestHandler):
    """pymodbus's handler for one TCP client, saying when a client comes and goes."""

    def connection_made(self, transport):
        super().connection_made(transport)
        host, port = transport.get_extra_info("peername")[:2]
        say("connected", f"{host}:{port}")

    def connection_lost(self, call_exc):
        host, port = self.client_address[:2]
        super().connection_lost(call_exc)
        say("closed", f"{host}:{port}")


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--framing", choices=["tcp", "rtu"], default="tcp")
    parser.add_argument("--slave", action="append", default=[])
    args = parser.parse_args()

    slaves = dict(slave(spec) for spec in args.slave)
    context = ModbusServerContext(slaves=dict(slaves), single=False)
    framer = ModbusSocketFramer if args.framing == "tcp" else ModbusRtuFramer
    # ignore_missing_slaves: a unit the gateway does not have gets silence, not exception 0x0B.
    server = ModbusTcpServer(context, framer, None, ("127.0.0.1", args.port), handler=LoggingHandler, allow_reuse_address=True, ignore_missing_slaves=True)
    serving = asyncio.create_task(server.serve_forever())
    # A port that cannot be bound fails serve_forever before it ever reports serving: exit then.
    await asyncio.wait({serving, server.serving}, return_when=asyncio.FIRST_COMPLETED)
    if serving.done():
        serving.result()
    say("listening", server.server.sockets[0].getsockname()[1])

    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()

    def command():
        line = sys.stdin.readline()
        if not line:
            loop.remove_reader(sys.stdin.fileno())
            stopped.set()
            return
        words = line.split()
        if len(words) == 2 and words[0] in ("silence", "answer"):
            unit = int(words[1])
            # The framer reads the unit list from the context for each request: a unit taken out
            # of it is not answered (and ignore_missing_slaves covers a request already in flight).
            if words[0] == "silence" and unit in context:
                del context[unit]
            elif words[0] == "answer":
                context[unit] = slaves[unit]
        say("ok", line.strip())

    loop.add_reader(sys.stdin.fileno(), command)
    await stopped.wait()
    await server.shutdown()
    serving.cancel()


if __name__ == "__main__":
    asyncio.run(main())
