using EdgeExporter.Tests.Shared;
using System.Buffers.Binary;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// Reads just enough of an ELF64 header to tell the machine and whether the file asks for a
/// dynamic loader (a PT_INTERP program header) or carries a dynamic section: a fully static
/// executable has neither an interpreter nor NEEDED libraries (System V gABI, ELF-64 object format).
/// </summary>
internal sealed record ElfFile(ushort Machine, bool HasInterpreter, bool NeedsLibraries)
{
    public const ushort X86_64 = 62;
    public const ushort AArch64 = 183;

    public static ElfFile Read(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        Assert.True(elf.AsSpan(0, 4).SequenceEqual("\u007fELF"u8), $"{path} is not ELF");
        Assert.Equal(2, elf[4]); // ELFCLASS64
        Assert.Equal(1, elf[5]); // little-endian
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(18));
        ulong programHeaders = BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(32));
        ushort entrySize = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(54));
        ushort count = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(56));
        bool interpreter = false;
        bool needed = false;
        for (int i = 0; i < count; i++)
        {
            int header = checked((int)programHeaders + (i * entrySize));
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(header));
            if (type == 3)
            {
                interpreter = true; // PT_INTERP
            }
            else if (type == 2)
            {
                // PT_DYNAMIC: static-pie has one too (for self-relocation); look for DT_NEEDED (1) entries.
                long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(header + 8));
                long size = (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(header + 32));
                for (long entry = offset; entry + 16 <= offset + size; entry += 16)
                {
                    long tag = BinaryPrimitives.ReadInt64LittleEndian(elf.AsSpan((int)entry));
                    if (tag == 0)
                    {
                        break;
                    }

                    needed |= tag == 1;
                }
            }
        }

        return new ElfFile(machine, interpreter, needed);
    }
}
