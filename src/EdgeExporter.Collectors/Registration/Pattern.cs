using System.Buffers;
using System.Globalization;

namespace EdgeExporter.Collectors;

/// <summary>
/// A regular expression with the syntax and meaning of Go's <c>regexp</c> package (RE2), which is
/// what node_exporter's pattern flags take, matched as Go's <c>MatchString</c> does: true when the
/// pattern matches anywhere in the text, unless anchored. Written from the RE2 syntax reference
/// (github.com/google/re2/wiki/Syntax, Go's regexp/syntax documentation) and matched by simulating
/// the compiled automaton (K. Thompson, 1968; the "Pike VM" of R. Cox's "Regular Expression Matching:
/// the Virtual Machine Approach", 2009): time linear in the text, no backtracking, no allocation.
/// Where .NET's <c>Regex</c> reads the same pattern differently, this follows Go: <c>$</c> matches
/// only at the end of the text (not before a final line feed), <c>\d</c>, <c>\w</c>, <c>\s</c> and
/// <c>\b</c> are ASCII. Supported: literals and escapes, <c>.</c>, classes with ranges, negation,
/// Perl classes and POSIX classes (<c>[[:alpha:]]</c>), anchors <c>^ $ \A \z \b \B</c>, groups
/// <c>(…) (?:…) (?P&lt;name&gt;…) (?&lt;name&gt;…)</c>, flags <c>i m s U</c> as <c>(?i)</c> and
/// <c>(?i:…)</c>, alternation, and the repetitions <c>* + ? {n} {n,} {n,m}</c> with their
/// non-greedy forms (which match the same texts). Not supported, refused with a message: Unicode
/// classes (<c>\p{Greek}</c>) and <c>\Q…\E</c>. Case folding under <c>(?i)</c> is ASCII's, and
/// single characters beyond it fold as <see cref="char.ToUpperInvariant"/> says.
/// </summary>
public sealed class Pattern
{
    /// <summary>The most instructions a compiled pattern may take (Go's parser limits repetition to 1,000).</summary>
    public const int MaxInstructions = 5000;

    private const int StackInstructions = 512; // programs up to this size match on stack memory

    private readonly Instruction[] _program;
    private readonly CharSet[] _sets;

    private readonly bool _anchored; // begins with \A or ^ (not multi-line): a match can only start at 0

    private Pattern(string text, Instruction[] program, CharSet[] sets)
    {
        Text = text;
        _program = program;
        _sets = sets;
        _anchored = program[0] is { Op: Op.Assert, X: (int)Assertion.BeginText };
    }

    // Made on the first match, not at parse: a pattern parsed only to check a flag's value needs none.
    private Dfa? _dfa;
    private bool _dfaMade;

    private Dfa? Automaton()
    {
        if (!Volatile.Read(ref _dfaMade))
        {
            lock (_sets)
            {
                if (!_dfaMade)
                {
                    _dfa = Dfa.For(this);
                    Volatile.Write(ref _dfaMade, true);
                }
            }
        }

        return _dfa;
    }

    /// <summary>The pattern as given.</summary>
    public string Text { get; }

    /// <summary>Parses and compiles <paramref name="pattern"/>; throws <see cref="ArgumentException"/> with Go's wording of what is wrong.</summary>
    public static Pattern Parse(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Node tree = new Parser(pattern).ParseAll();
        var compiler = new Compiler(pattern);
        compiler.Compile(tree);
        compiler.Emit(new Instruction(Op.Match, 0, 0));
        return new Pattern(pattern, [.. compiler.Program], [.. compiler.Sets]);
    }

    public override string ToString() => Text;

    /// <summary>Whether the pattern matches anywhere in <paramref name="text"/> (Go's <c>MatchString</c>).</summary>
    [System.Runtime.CompilerServices.SkipLocalsInit]
    public bool IsMatch(ReadOnlySpan<char> text)
    {
        Dfa? dfa = Automaton();
        if (dfa is not null && dfa.TryMatch(text, out bool matched))
        {
            return matched;
        }

        int n = _program.Length;
        if (n <= StackInstructions)
        {
            Span<int> scratch = stackalloc int[n * 5]; // no need to clear it (SkipLocalsInit): Run sets what it reads
            return Run(text, scratch);
        }

        int[] rented = ArrayPool<int>.Shared.Rent(n * 5);
        try
        {
            return Run(text, rented.AsSpan(0, n * 5));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    private bool Run(ReadOnlySpan<char> text, Span<int> scratch)
    {
        int n = _program.Length;
        Span<int> current = scratch[..n];
        Span<int> next = scratch.Slice(n, n);
        Span<int> seen = scratch.Slice(2 * n, n); // the step at which an instruction was last added
        Span<int> stack = scratch.Slice(3 * n, 2 * n); // a Split pushes two: room for every push, not just one per instruction
        seen.Fill(-1);
        int currentCount = 0;
        int step = 0;
        for (int position = 0; ; position++)
        {
            // A thread starts at every position: the match may begin anywhere (at 0 only when anchored).
            if ((position == 0 || !_anchored) && Add(text, position, 0, current, ref currentCount, seen, step, stack))
            {
                return true;
            }

            if (position == text.Length || (currentCount == 0 && _anchored))
            {
                return false;
            }

            step++;
            int nextCount = 0;
            char c = text[position];
            for (int t = 0; t < currentCount; t++)
            {
                ref readonly Instruction instruction = ref _program[current[t]];
                if (instruction.Op == Op.Char && _sets[instruction.X].Contains(c)
                    && Add(text, position + 1, current[t] + 1, next, ref nextCount, seen, step, stack))
                {
                    return true;
                }
            }

            Span<int> swap = current;
            current = next;
            next = swap;
            currentCount = nextCount;
        }
    }

    /// <summary>Adds <paramref name="start"/> and every instruction reached from it without reading a character; true when one of them is the match.</summary>
    private bool Add(ReadOnlySpan<char> text, int position, int start, Span<int> list, ref int count, Span<int> seen, int step, Span<int> stack)
    {
        int top = 0;
        stack[top++] = start;
        while (top > 0)
        {
            int pc = stack[--top];
            if (seen[pc] == step)
            {
                continue;
            }

            seen[pc] = step;
            Instruction instruction = _program[pc];
            switch (instruction.Op)
            {
                case Op.Match:
                    return true;
                case Op.Char:
                    list[count++] = pc;
                    break;
                case Op.Jump:
                    stack[top++] = instruction.X;
                    break;
                case Op.Split:
                    stack[top++] = instruction.Y;
                    stack[top++] = instruction.X;
                    break;
                case Op.Assert:
                    if (Holds((Assertion)instruction.X, text, position))
                    {
                        stack[top++] = pc + 1;
                    }

                    break;
            }
        }

        return false;
    }

    private static bool Holds(Assertion assertion, ReadOnlySpan<char> text, int position) => assertion switch
    {
        Assertion.BeginText => position == 0,
        Assertion.EndText => position == text.Length,
        Assertion.BeginLine => position == 0 || text[position - 1] == '\n',
        Assertion.EndLine => position == text.Length || text[position] == '\n',
        Assertion.WordBoundary => IsWordAt(text, position - 1) != IsWordAt(text, position),
        Assertion.NotWordBoundary => IsWordAt(text, position - 1) == IsWordAt(text, position),
        _ => false,
    };

    private static bool IsWordAt(ReadOnlySpan<char> text, int position) =>
        (uint)position < (uint)text.Length && char.IsAsciiLetterOrDigit(text[position]) || (uint)position < (uint)text.Length && text[position] == '_';

    /// <summary>
    /// The automaton's states made deterministic as texts need them (as RE2 does): a state is the set of
    /// instructions the simulation would hold, each ASCII character's next state is worked out once
    /// and kept, so a character costs a table lookup instead of a walk over the instructions (400 of
    /// them for node_exporter's netstat fields pattern, matched against 400 names at start-up). Only
    /// for patterns whose assertions are a leading ^ and $ at the end (the filter flags' patterns);
    /// others, a text with a character beyond ASCII, and a pattern that needs more than
    /// <see cref="MaxStates"/> states are left to the simulation. States are made under a lock, read
    /// without one; once a pattern has seen the names it filters, matching allocates nothing.
    /// </summary>
    private sealed class Dfa
    {
        public const int MaxStates = 256;

        private const int Unknown = -1;
        private const int Full = -2; // the cache is full: the simulation takes this text

        private readonly Pattern _pattern;
        private readonly bool _anchored;
        private readonly short[]?[] _next = new short[MaxStates][]; // per state, per class of ASCII characters (states fit a short)
        private readonly string[] _sets = new string[MaxStates];  // per state, its key: the match flag, then its instructions (Char and EndText asserts) as characters
        private readonly bool[] _matched = new bool[MaxStates]; // the match was reached: the text matches
        private readonly bool[] _atEnd = new bool[MaxStates];   // the match is reached if the text ends here
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
        private readonly Lock _gate = new();

        // Scratch for making states (under the lock), kept: a new transition allocates nothing but a new state's arrays.
        private readonly bool[] _seen;
        private readonly Stack<int> _stack = new();
        private readonly List<int> _advanced = [];
        private readonly List<int> _set = [];
        private readonly List<int> _afterEnd = [];
        private char[] _key = new char[64];
        private int _count;

        // ASCII characters that every character set of the pattern treats alike share a class, and a
        // state keeps one transition per class (41 for the netstat pattern's 128 characters).
        private readonly byte[] _classOf = new byte[128];
        private readonly char[] _member; // one character of each class
        private readonly int _classes;

        private Dfa(Pattern pattern, bool anchored)
        {
            _pattern = pattern;
            _anchored = anchored;
            // Where any set's membership changes from one character to the next a class begins: the
            // characters between two such points are treated alike by every set.
            ulong low = 1, high = 0; // character 0 begins the first class
            foreach (CharSet set in pattern._sets)
            {
                low |= set.Low ^ (set.Low << 1);
                high |= set.High ^ ((set.High << 1) | (set.Low >> 63));
            }

            int count = 0;
            for (int c = 0; c < 128; c++)
            {
                bool begins = c < 64 ? (low & (1UL << c)) != 0 : (high & (1UL << (c - 64))) != 0;
                if (begins)
                {
                    count++;
                }

                _classOf[c] = (byte)(count - 1);
            }

            _classes = count;
            _member = new char[count];
            for (int c = 127; c >= 0; c--)
            {
                _member[_classOf[c]] = (char)c;
            }
            _seen = new bool[pattern._program.Length];
            _lookup = _index.GetAlternateLookup<ReadOnlySpan<char>>();
            lock (_gate)
            {
                _advanced.Add(0);
                Intern(Closure(_advanced, begin: true));
            }
        }

        /// <summary>A deterministic automaton for <paramref name="pattern"/>, or null where its assertions need the simulation.</summary>
        public static Dfa? For(Pattern pattern)
        {
            Instruction[] program = pattern._program;
            for (int pc = 0; pc < program.Length; pc++)
            {
                if (program[pc].Op == Op.Assert
                    && !((Assertion)program[pc].X == Assertion.BeginText && pc == 0)
                    && (Assertion)program[pc].X != Assertion.EndText)
                {
                    return null;
                }
            }

            return new Dfa(pattern, pattern._anchored);
        }

        /// <summary>False when the text is the simulation's (a character beyond ASCII, or no room for a new state).</summary>
        public bool TryMatch(ReadOnlySpan<char> text, out bool matched)
        {
            matched = false;
            int state = 0;
            foreach (char c in text)
            {
                if (_matched[state])
                {
                    matched = true;
                    return true;
                }

                if (c >= 128)
                {
                    return false;
                }

                int type = _classOf[c];
                int next = Volatile.Read(ref _next[state]![type]);
                if (next == Unknown)
                {
                    next = Step(state, type);
                }

                if (next == Full)
                {
                    return false;
                }

                state = next;
            }

            matched = _matched[state] || _atEnd[state];
            return true;
        }

        private int Step(int state, int type)
        {
            lock (_gate)
            {
                char c = _member[type];
                int known = _next[state]![type];
                if (known != Unknown)
                {
                    return known;
                }

                Instruction[] program = _pattern._program;
                CharSet[] sets = _pattern._sets;
                List<int> advanced = _advanced;
                advanced.Clear();
                foreach (char pc in _sets[state].AsSpan(1))
                {
                    if (program[pc].Op == Op.Char && sets[program[pc].X].Contains(c))
                    {
                        advanced.Add(pc + 1);
                    }
                }

                if (!_anchored)
                {
                    advanced.Add(0); // a match may start at every position
                }

                int next = Intern(Closure(advanced, begin: false));
                Volatile.Write(ref _next[state]![type], (short)next);
                return next;
            }
        }

        /// <summary>The instructions reached from <paramref name="starts"/> without reading a character: Char and EndText instructions, and whether the match is among them.</summary>
        private (List<int> Set, bool Matched, bool AtEnd) Closure(List<int> starts, bool begin)
        {
            List<int> set = _set;
            set.Clear();
            bool matched = Walk(starts, begin, atEnd: false, set);
            set.Sort();
            if (matched)
            {
                return (set, true, false);
            }

            // At the end of the text the EndText assertions among them hold: does one lead to the match?
            List<int> afterEnd = _afterEnd;
            afterEnd.Clear();
            foreach (int pc in set)
            {
                if (_pattern._program[pc].Op == Op.Assert)
                {
                    afterEnd.Add(pc + 1);
                }
            }

            return (set, false, afterEnd.Count > 0 && Walk(afterEnd, begin: false, atEnd: true, null));
        }

        /// <summary>
        /// Follows the instructions that read no character from <paramref name="starts"/>: ^ holds when
        /// <paramref name="begin"/>, $ when <paramref name="atEnd"/> (otherwise it is added to
        /// <paramref name="set"/>, with the Char instructions, to be decided later). True when the match is reached.
        /// </summary>
        private bool Walk(List<int> starts, bool begin, bool atEnd, List<int>? set)
        {
            Instruction[] program = _pattern._program;
            bool[] seen = _seen;
            Array.Clear(seen);
            Stack<int> stack = _stack;
            stack.Clear();
            for (int i = starts.Count - 1; i >= 0; i--)
            {
                stack.Push(starts[i]);
            }

            bool matched = false;
            while (stack.Count > 0)
            {
                int pc = stack.Pop();
                if (seen[pc])
                {
                    continue;
                }

                seen[pc] = true;
                Instruction instruction = program[pc];
                switch (instruction.Op)
                {
                    case Op.Match:
                        matched = true;
                        break;
                    case Op.Char:
                        set?.Add(pc);
                        break;
                    case Op.Jump:
                        stack.Push(instruction.X);
                        break;
                    case Op.Split:
                        stack.Push(instruction.Y);
                        stack.Push(instruction.X);
                        break;
                    case Op.Assert when (Assertion)instruction.X == Assertion.BeginText:
                        if (begin)
                        {
                            stack.Push(pc + 1);
                        }

                        break;
                    case Op.Assert when atEnd:
                        stack.Push(pc + 1); // EndText, at the end
                        break;
                    case Op.Assert:
                        set?.Add(pc); // EndText: decided when the text ends
                        break;
                }
            }

            return matched;
        }

        /// <summary>The number of the state with this set, made if new; <see cref="Full"/> when there is no room.</summary>
        private int Intern((List<int> Set, bool Matched, bool AtEnd) state)
        {
            // The key: the match flag, then the instructions as characters (a program has at most MaxInstructions).
            if (_key.Length < state.Set.Count + 1)
            {
                _key = new char[Math.Max(_key.Length * 2, state.Set.Count + 1)];
            }

            _key[0] = state.Matched ? 'm' : '-';
            for (int i = 0; i < state.Set.Count; i++)
            {
                _key[i + 1] = (char)state.Set[i];
            }

            ReadOnlySpan<char> key = _key.AsSpan(0, state.Set.Count + 1);
            if (_lookup.TryGetValue(key, out int known))
            {
                return known;
            }

            if (_count == MaxStates)
            {
                return Full;
            }

            int id = _count;
            string text = new(key); // the key is the state's set too: one string, not a string and an array
            _sets[id] = text;
            _matched[id] = state.Matched;
            _atEnd[id] = state.AtEnd;
            var next = new short[_classes];
            Array.Fill(next, (short)Unknown);
            _next[id] = next;
            _index[text] = id;
            _count = id + 1; // published last: readers reach a state only through a transition written after this
            return id;
        }
    }

    private enum Op : byte
    {
        Char,
        Split,
        Jump,
        Assert,
        Match,
    }

    private enum Assertion
    {
        BeginText,
        EndText,
        BeginLine,
        EndLine,
        WordBoundary,
        NotWordBoundary,
    }

    private readonly record struct Instruction(Op Op, int X, int Y);

    /// <summary>A set of characters: a bitmap for ASCII, sorted ranges beyond.</summary>
    private sealed class CharSet
    {
        private readonly ulong _low, _high;
        private readonly (char First, char Last)[] _ranges;

        public CharSet(List<(char First, char Last)> ranges)
        {
            bool anyWide = false;
            foreach ((char first, char last) in ranges)
            {
                for (int c = first; c <= last && c < 128; c++)
                {
                    if (c < 64)
                    {
                        _low |= 1UL << c;
                    }
                    else
                    {
                        _high |= 1UL << (c - 64);
                    }
                }

                anyWide |= last >= 128;
            }

            if (!anyWide)
            {
                _ranges = []; // most sets (a literal, an ASCII class): the bitmap is all of it, nothing to sort
                return;
            }

            var wide = new List<(char, char)>();
            foreach ((char first, char last) in Normalise(ranges))
            {
                if (last >= 128)
                {
                    wide.Add(((char)Math.Max(first, (char)128), last));
                }
            }

            _ranges = [.. wide];
        }

        /// <summary>Whether the two sets hold the same characters (a pattern's repeated literals share one set).</summary>
        public bool SameAs(CharSet other) =>
            _low == other._low && _high == other._high && _ranges.AsSpan().SequenceEqual(other._ranges);

        /// <summary>Characters 0-63, one bit each.</summary>
        public ulong Low => _low;

        /// <summary>Characters 64-127, one bit each.</summary>
        public ulong High => _high;

        public bool Contains(char c)
        {
            if (c < 64)
            {
                return (_low & (1UL << c)) != 0;
            }

            if (c < 128)
            {
                return (_high & (1UL << (c - 64))) != 0;
            }

            int lo = 0, hi = _ranges.Length - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >> 1;
                if (c < _ranges[mid].First)
                {
                    hi = mid - 1;
                }
                else if (c > _ranges[mid].Last)
                {
                    lo = mid + 1;
                }
                else
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Sorted, merged ranges.</summary>
        public static List<(char First, char Last)> Normalise(List<(char First, char Last)> ranges)
        {
            var sorted = new List<(char First, char Last)>(ranges);
            sorted.Sort((a, b) => a.First.CompareTo(b.First));
            var merged = new List<(char First, char Last)>();
            foreach ((char first, char last) in sorted)
            {
                if (merged.Count > 0 && first <= merged[^1].Last + 1)
                {
                    merged[^1] = (merged[^1].First, (char)Math.Max(merged[^1].Last, last));
                }
                else
                {
                    merged.Add((first, last));
                }
            }

            return merged;
        }

        /// <summary>Every character not in <paramref name="ranges"/>.</summary>
        public static List<(char First, char Last)> Negate(List<(char First, char Last)> ranges)
        {
            var result = new List<(char First, char Last)>();
            int next = 0;
            foreach ((char first, char last) in Normalise(ranges))
            {
                if (first > next)
                {
                    result.Add(((char)next, (char)(first - 1)));
                }

                next = last + 1;
            }

            if (next <= char.MaxValue)
            {
                result.Add(((char)next, char.MaxValue));
            }

            return result;
        }
    }

    private abstract record Node;

    private sealed record CharNode(List<(char First, char Last)> Ranges) : Node;

    private sealed record ConcatNode(List<Node> Parts) : Node;

    private sealed record AlternateNode(List<Node> Choices) : Node;

    private sealed record RepeatNode(Node Body, int Min, int Max) : Node; // Max -1: unbounded

    private sealed record AssertNode(Assertion Assertion) : Node;

    [Flags]
    private enum Flags
    {
        None = 0,
        IgnoreCase = 1,
        MultiLine = 2,
        DotAll = 4,
    }

    /// <summary>Recursive descent over Go's grammar; errors are worded as Go's ("error parsing regexp: …: `…`").</summary>
    private sealed class Parser(string pattern)
    {
        private const int MaxRepeat = 1000;

        private readonly CharNode?[] _literals = new CharNode?[128];
        private int _at;

        public Node ParseAll()
        {
            Node node = ParseAlternation(Flags.None);
            if (_at < pattern.Length)
            {
                throw Error("unexpected )", pattern);
            }

            return node;
        }

        private Node ParseAlternation(Flags flags)
        {
            var choices = new List<Node> { ParseConcat(ref flags) };
            while (_at < pattern.Length && pattern[_at] == '|')
            {
                _at++;
                choices.Add(ParseConcat(ref flags));
            }

            return choices.Count == 1 ? choices[0] : new AlternateNode(choices);
        }

        private Node ParseConcat(ref Flags flags)
        {
            var parts = new List<Node>();
            while (_at < pattern.Length && pattern[_at] is not ('|' or ')'))
            {
                int start = _at;
                Node? atom = ParseAtom(ref flags);
                if (atom is null)
                {
                    continue; // a flag group such as (?i): changes what follows, matches nothing
                }

                parts.Add(ParseRepetitions(atom, start));
            }

            return parts.Count == 1 ? parts[0] : new ConcatNode(parts);
        }

        private Node ParseRepetitions(Node atom, int start)
        {
            bool repeated = false;
            while (_at < pattern.Length)
            {
                int operatorStart = _at;
                int min, max;
                char c = pattern[_at];
                if (c == '*')
                {
                    (min, max) = (0, -1);
                    _at++;
                }
                else if (c == '+')
                {
                    (min, max) = (1, -1);
                    _at++;
                }
                else if (c == '?')
                {
                    (min, max) = (0, 1);
                    _at++;
                }
                else if (c == '{' && TryParseBraces(out min, out max))
                {
                    if (min > MaxRepeat || max > MaxRepeat || (max >= 0 && max < min))
                    {
                        throw Error("invalid repeat count", pattern[operatorStart.._at]);
                    }
                }
                else
                {
                    break;
                }

                if (_at < pattern.Length && pattern[_at] == '?')
                {
                    _at++; // non-greedy: the same texts match
                }

                if (repeated)
                {
                    throw Error("invalid nested repetition operator", pattern[start.._at]);
                }

                repeated = true;
                atom = new RepeatNode(atom, min, max);
            }

            return atom;
        }

        /// <summary>{n}, {n,} or {n,m} at the cursor; anything else leaves the cursor and is a literal '{' (as in Go).</summary>
        private bool TryParseBraces(out int min, out int max)
        {
            min = max = 0;
            int at = _at + 1;
            if (!TryNumber(ref at, out min))
            {
                return false;
            }

            max = min;
            if (at < pattern.Length && pattern[at] == ',')
            {
                at++;
                if (at < pattern.Length && pattern[at] == '}')
                {
                    max = -1;
                }
                else if (!TryNumber(ref at, out max))
                {
                    return false;
                }
            }

            if (at >= pattern.Length || pattern[at] != '}')
            {
                return false;
            }

            _at = at + 1;
            return true;
        }

        private bool TryNumber(ref int at, out int value)
        {
            value = 0;
            int start = at;
            while (at < pattern.Length && char.IsAsciiDigit(pattern[at]))
            {
                value = Math.Min((value * 10) + (pattern[at] - '0'), 100_000);
                at++;
            }

            return at > start;
        }

        private Node? ParseAtom(ref Flags flags)
        {
            char c = pattern[_at];
            switch (c)
            {
                case '(':
                    return ParseGroup(ref flags);
                case '[':
                    return new CharNode(ParseClass(flags));
                case '.':
                    _at++;
                    return new CharNode((flags & Flags.DotAll) != 0 ? [('\0', char.MaxValue)] : [('\0', '\t'), ('\v', char.MaxValue)]);
                case '^':
                    _at++;
                    return new AssertNode((flags & Flags.MultiLine) != 0 ? Assertion.BeginLine : Assertion.BeginText);
                case '$':
                    _at++;
                    return new AssertNode((flags & Flags.MultiLine) != 0 ? Assertion.EndLine : Assertion.EndText);
                case '*' or '+' or '?':
                    throw Error("missing argument to repetition operator", c.ToString());
                case '\\':
                    return ParseEscapeAtom(flags);
                default:
                    _at++;
                    return Literal(c, flags);
            }
        }

        private Node? ParseGroup(ref Flags flags)
        {
            int start = _at;
            _at++; // (
            Flags inner = flags;
            if (_at < pattern.Length && pattern[_at] == '?')
            {
                _at++;
                if (_at < pattern.Length && (pattern[_at] == '<' || (pattern[_at] == 'P' && _at + 1 < pattern.Length && pattern[_at + 1] == '<')))
                {
                    _at += pattern[_at] == 'P' ? 2 : 1;
                    int close = pattern.IndexOf('>', _at);
                    if (close < 0)
                    {
                        throw Error("invalid named capture", pattern[start..]);
                    }

                    string name = pattern[_at..close];
                    if (name.Length == 0 || !IsWordText(name))
                    {
                        throw Error("invalid named capture", pattern[start..(close + 1)]);
                    }

                    _at = close + 1;
                }
                else
                {
                    // Flags: (?i) (?-i) (?i:...) (?im-s:...).
                    bool negate = false;
                    bool any = false;
                    while (true)
                    {
                        if (_at >= pattern.Length)
                        {
                            throw Error("missing closing )", pattern[start..]);
                        }

                        char f = pattern[_at++];
                        Flags flag = f switch
                        {
                            'i' => Flags.IgnoreCase,
                            'm' => Flags.MultiLine,
                            's' => Flags.DotAll,
                            'U' => Flags.None, // ungreedy: the same texts match
                            _ => (Flags)(-1),
                        };
                        if (f == '-' && !negate)
                        {
                            negate = true;
                            any = false;
                            continue;
                        }

                        if (f is ')' or ':')
                        {
                            if (!any && (negate || f == ')' && _at - start == 3))
                            {
                                throw Error("invalid or unsupported Perl syntax", pattern[start.._at]);
                            }

                            if (f == ')')
                            {
                                flags = inner; // applies to the rest of the enclosing group
                                return null;
                            }

                            break;
                        }

                        if ((int)flag == -1)
                        {
                            throw Error("invalid or unsupported Perl syntax", pattern[start.._at]);
                        }

                        any = true;
                        inner = negate ? inner & ~flag : inner | flag;
                    }
                }
            }

            Node body = ParseAlternation(inner);
            if (_at >= pattern.Length || pattern[_at] != ')')
            {
                throw Error("missing closing )", pattern);
            }

            _at++;
            return body;
        }

        private Node ParseEscapeAtom(Flags flags)
        {
            int start = _at;
            if (_at + 1 >= pattern.Length)
            {
                throw Error("trailing backslash at end of expression", "");
            }

            char e = pattern[_at + 1];
            switch (e)
            {
                case 'A':
                    _at += 2;
                    return new AssertNode(Assertion.BeginText);
                case 'z':
                    _at += 2;
                    return new AssertNode(Assertion.EndText);
                case 'b':
                    _at += 2;
                    return new AssertNode(Assertion.WordBoundary);
                case 'B':
                    _at += 2;
                    return new AssertNode(Assertion.NotWordBoundary);
            }

            if (TryPerlClass(out List<(char First, char Last)>? perl))
            {
                return new CharNode(perl);
            }

            char c = ParseEscapedChar(start);
            return Literal(c, flags);
        }

        /// <summary>\d \D \w \W \s \S at the cursor.</summary>
        private bool TryPerlClass(out List<(char First, char Last)> ranges)
        {
            ranges = [];
            if (_at + 1 >= pattern.Length || pattern[_at] != '\\')
            {
                return false;
            }

            List<(char, char)>? positive = char.ToLowerInvariant(pattern[_at + 1]) switch
            {
                'd' => [('0', '9')],
                'w' => [('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
                's' => [('\t', '\n'), ('\f', '\r'), (' ', ' ')],
                _ => null,
            };
            if (positive is null)
            {
                return false;
            }

            ranges = char.IsUpper(pattern[_at + 1]) ? CharSet.Negate(positive) : positive;
            _at += 2;
            return true;
        }

        /// <summary>One escaped character (the cursor at its backslash): \n \t \x41 \x{263a} \101 \. …</summary>
        private char ParseEscapedChar(int start)
        {
            char e = pattern[_at + 1];
            _at += 2;
            switch (e)
            {
                case 'a': return '\a';
                case 'f': return '\f';
                case 't': return '\t';
                case 'n': return '\n';
                case 'r': return '\r';
                case 'v': return '\v';
                case 'x':
                    return ParseHex(start);
                case >= '0' and <= '7':
                    // Octal, up to three digits (Go: \1 to \7 alone are back-references, which it refuses).
                    int value = e - '0';
                    int digits = 1;
                    while (digits < 3 && _at < pattern.Length && pattern[_at] is >= '0' and <= '7')
                    {
                        value = (value * 8) + (pattern[_at++] - '0');
                        digits++;
                    }

                    if (digits == 1 && e != '0')
                    {
                        throw Error("invalid escape sequence", pattern[start.._at]);
                    }

                    return (char)value;
                case 'p' or 'P':
                    throw Error("invalid character class range (Unicode classes are not supported here)", pattern[start..Math.Min(pattern.Length, _at + 1)]);
                case 'Q':
                    throw Error("invalid escape sequence (\\Q…\\E is not supported here)", pattern[start.._at]);
            }

            if (e < 128 && !char.IsAsciiLetterOrDigit(e) && e != '_')
            {
                return e; // an escaped punctuation character is itself
            }

            throw Error("invalid escape sequence", pattern[start.._at]);
        }

        private char ParseHex(int start)
        {
            int value;
            if (_at < pattern.Length && pattern[_at] == '{')
            {
                int close = pattern.IndexOf('}', _at);
                if (close < 0 || !int.TryParse(pattern.AsSpan(_at + 1, close - _at - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) || value > char.MaxValue)
                {
                    throw Error("invalid escape sequence", pattern[start..Math.Min(pattern.Length, close < 0 ? pattern.Length : close + 1)]);
                }

                _at = close + 1;
                return (char)value;
            }

            if (_at + 2 > pattern.Length || !int.TryParse(pattern.AsSpan(_at, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value))
            {
                throw Error("invalid escape sequence", pattern[start..Math.Min(pattern.Length, _at + 2)]);
            }

            _at += 2;
            return (char)value;
        }

        /// <summary>A bracket class at the cursor: [abc] [^a-z] [\d_] [[:alpha:]] []a] (a leading ] is a literal).</summary>
        private List<(char First, char Last)> ParseClass(Flags flags)
        {
            int start = _at;
            _at++; // [
            bool negated = false;
            if (_at < pattern.Length && pattern[_at] == '^')
            {
                negated = true;
                _at++;
            }

            var ranges = new List<(char First, char Last)>();
            bool first = true;
            while (true)
            {
                if (_at >= pattern.Length)
                {
                    throw Error("missing closing ]", pattern[start..]);
                }

                char c = pattern[_at];
                if (c == ']' && !first)
                {
                    _at++;
                    break;
                }

                first = false;
                if (c == '[' && _at + 1 < pattern.Length && pattern[_at + 1] == ':')
                {
                    int close = pattern.IndexOf(":]", _at + 2, StringComparison.Ordinal);
                    if (close > 0)
                    {
                        string name = pattern[(_at + 2)..close];
                        bool negate = name.StartsWith('^');
                        List<(char, char)> posix = Posix(negate ? name[1..] : name) ?? throw Error("invalid character class range", pattern[_at..(close + 2)]);
                        ranges.AddRange(negate ? CharSet.Negate(posix) : posix);
                        _at = close + 2;
                        continue;
                    }
                }

                if (TryPerlClass(out List<(char First, char Last)>? perl))
                {
                    ranges.AddRange(perl);
                    continue;
                }

                int rangeStart = _at;
                char low = ClassChar(start);
                char high = low;
                if (_at + 1 < pattern.Length && pattern[_at] == '-' && pattern[_at + 1] != ']')
                {
                    _at++;
                    high = ClassChar(start);
                    if (high < low)
                    {
                        throw Error("invalid character class range", pattern[rangeStart.._at]);
                    }
                }

                ranges.Add((low, high));
            }

            if ((flags & Flags.IgnoreCase) != 0)
            {
                ranges = Folded(ranges);
            }

            return negated ? CharSet.Negate(ranges) : ranges;
        }

        private char ClassChar(int classStart)
        {
            if (_at >= pattern.Length)
            {
                throw Error("missing closing ]", pattern[classStart..]);
            }

            return pattern[_at] == '\\' ? ParseEscapedChar(_at) : pattern[_at++];
        }

        private static List<(char, char)>? Posix(string name) => name switch
        {
            "alnum" => [('0', '9'), ('A', 'Z'), ('a', 'z')],
            "alpha" => [('A', 'Z'), ('a', 'z')],
            "ascii" => [('\0', '\x7f')],
            "blank" => [('\t', '\t'), (' ', ' ')],
            "cntrl" => [('\0', '\x1f'), ('\x7f', '\x7f')],
            "digit" => [('0', '9')],
            "graph" => [('!', '~')],
            "lower" => [('a', 'z')],
            "print" => [(' ', '~')],
            "punct" => [('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
            "space" => [('\t', '\r'), (' ', ' ')],
            "upper" => [('A', 'Z')],
            "word" => [('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
            "xdigit" => [('0', '9'), ('A', 'F'), ('a', 'f')],
            _ => null,
        };

        private CharNode Literal(char c, Flags flags)
        {
            if ((flags & Flags.IgnoreCase) == 0)
            {
                // One node per ASCII character however often the pattern has it (nodes are never changed).
                return c < 128 ? _literals[c] ??= new CharNode([(c, c)]) : new CharNode([(c, c)]);
            }

            return new CharNode(Folded([(c, c)]));
        }

        /// <summary>The ranges with the other case of every letter in them added (ASCII ranges whole; beyond, single characters).</summary>
        private static List<(char First, char Last)> Folded(List<(char First, char Last)> ranges)
        {
            var result = new List<(char First, char Last)>(ranges);
            foreach ((char first, char last) in ranges)
            {
                for (int c = first; c <= last && c < 128; c++)
                {
                    if (char.IsAsciiLetter((char)c))
                    {
                        char other = (char)(c ^ 0x20);
                        result.Add((other, other));
                    }
                }

                if (first == last && first >= 128)
                {
                    result.Add((char.ToUpperInvariant(first), char.ToUpperInvariant(first)));
                    result.Add((char.ToLowerInvariant(first), char.ToLowerInvariant(first)));
                }
            }

            return CharSet.Normalise(result);
        }

        private static bool IsWordText(string text)
        {
            foreach (char c in text)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '_')
                {
                    return false;
                }
            }

            return true;
        }

        private static ArgumentException Error(string what, string where) =>
            new($"error parsing regexp: {what}: `{where}`");
    }

    /// <summary>The tree to instructions (Thompson's construction).</summary>
    private sealed class Compiler(string pattern)
    {
        public List<Instruction> Program { get; } = [];

        public List<CharSet> Sets { get; } = [];

        public int Emit(Instruction instruction)
        {
            if (Program.Count >= MaxInstructions)
            {
                throw new ArgumentException($"error parsing regexp: expression too large: `{pattern}`");
            }

            Program.Add(instruction);
            return Program.Count - 1;
        }

        /// <summary>The index of a set equal to <paramref name="set"/>, added if there is none (node_exporter's patterns repeat their letters).</summary>
        private int SetIndex(CharSet set)
        {
            for (int i = 0; i < Sets.Count; i++)
            {
                if (Sets[i].SameAs(set))
                {
                    return i;
                }
            }

            Sets.Add(set);
            return Sets.Count - 1;
        }

        public void Compile(Node node)
        {
            switch (node)
            {
                case CharNode c:
                    Emit(new Instruction(Op.Char, SetIndex(new CharSet(c.Ranges)), 0));
                    break;
                case AssertNode a:
                    Emit(new Instruction(Op.Assert, (int)a.Assertion, 0));
                    break;
                case ConcatNode concat:
                    foreach (Node part in concat.Parts)
                    {
                        Compile(part);
                    }

                    break;
                case AlternateNode alternate:
                    CompileAlternation(alternate.Choices, 0);
                    break;
                case RepeatNode repeat:
                    CompileRepeat(repeat);
                    break;
            }
        }

        private void CompileAlternation(List<Node> choices, int index)
        {
            if (index == choices.Count - 1)
            {
                Compile(choices[index]);
                return;
            }

            int split = Emit(new Instruction(Op.Split, 0, 0));
            Compile(choices[index]);
            int jump = Emit(new Instruction(Op.Jump, 0, 0));
            int second = Program.Count;
            CompileAlternation(choices, index + 1);
            Program[split] = new Instruction(Op.Split, split + 1, second);
            Program[jump] = new Instruction(Op.Jump, Program.Count, 0);
        }

        private void CompileRepeat(RepeatNode repeat)
        {
            for (int i = 0; i < repeat.Min; i++)
            {
                Compile(repeat.Body);
            }

            if (repeat.Max < 0)
            {
                // body*: L: split body, out; body; jump L
                int loop = Emit(new Instruction(Op.Split, 0, 0));
                Compile(repeat.Body);
                Emit(new Instruction(Op.Jump, loop, 0));
                Program[loop] = new Instruction(Op.Split, loop + 1, Program.Count);
                return;
            }

            // (body(body(body)?)?)? for the optional copies.
            var splits = new List<int>();
            for (int i = repeat.Min; i < repeat.Max; i++)
            {
                splits.Add(Emit(new Instruction(Op.Split, 0, 0)));
                Compile(repeat.Body);
            }

            foreach (int split in splits)
            {
                Program[split] = new Instruction(Op.Split, split + 1, Program.Count);
            }
        }
    }
}
