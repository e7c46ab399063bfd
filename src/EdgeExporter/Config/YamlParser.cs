using System.Globalization;
using System.Text;

namespace EdgeExporter.Config;

/// <summary>
/// The YAML subset a config needs, parsed without reflection: block mappings and sequences
/// (indented with spaces), flow collections on one line (<c>[a, b]</c>, <c>{ k: v }</c>), plain,
/// single- and double-quoted scalars, and comments. Anchors, aliases, tags, block scalars and
/// multi-document streams are refused with a message saying what to write instead. Every node
/// carries its line and column; duplicate keys are errors (YAML 1.2 requires unique keys).
/// </summary>
public static class YamlParser
{
    /// <summary>
    /// The deepest nesting accepted. A config needs five or six levels; without a bound, 70,000 nested
    /// '[' overflowed the stack (SIGSEGV) in --config.check.
    /// </summary>
    public const int MaxDepth = 64;

    public static YamlNode Parse(string text)
    {
        var lines = Lines(text);
        if (lines.Count == 0)
        {
            return new YamlMapping(new YamlMark(1, 1), []);
        }

        var parser = new BlockParser(lines);
        YamlNode root = parser.ParseNode(lines[0].Indent);
        parser.ExpectEnd();
        return root;
    }

    private static List<Line> Lines(string text)
    {
        var lines = new List<Line>();
        string[] raw = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (int i = 0; i < raw.Length; i++)
        {
            string line = raw[i];
            int number = i + 1;
            int indent = 0;
            while (indent < line.Length && line[indent] == ' ')
            {
                indent++;
            }

            if (indent < line.Length && line[indent] == '\t')
            {
                throw new YamlException(new YamlMark(number, indent + 1), "a tab in the indentation; YAML indents with spaces only");
            }

            string content = StripComment(line[indent..]).TrimEnd();
            if (content.Length == 0)
            {
                continue;
            }

            if (indent == 0 && content == "---")
            {
                if (lines.Count > 0)
                {
                    throw new YamlException(new YamlMark(number, 1), "a second YAML document; a config file holds exactly one");
                }

                continue;
            }

            if (indent == 0 && content == "...")
            {
                break;
            }

            if (indent == 0 && content.StartsWith('%'))
            {
                throw new YamlException(new YamlMark(number, 1), "YAML directives are not supported; remove this line");
            }

            lines.Add(new Line(number, indent, content));
        }

        return lines;
    }

    /// <summary>Cuts a <c>#</c> comment that starts the text or follows whitespace, outside quotes.</summary>
    private static string StripComment(string text)
    {
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote != '\0')
            {
                if (quote == '"' && c == '\\')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }

                continue;
            }

            if (c is '"' or '\'' && QuoteMayOpen(text, i))
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || text[i - 1] is ' ' or '\t'))
            {
                return text[..i];
            }
        }

        return text;
    }

    private static bool QuoteMayOpen(string text, int i)
    {
        int j = i - 1;
        while (j >= 0 && text[j] == ' ')
        {
            j--;
        }

        return j < 0 || text[j] is ':' or '-' or ',' or '[' or '{' or '?';
    }

    private readonly record struct Line(int Number, int Indent, string Text)
    {
        public int Column => Indent + 1;

        public bool IsSequenceItem => Text == "-" || Text.StartsWith("- ", StringComparison.Ordinal);
    }

    private sealed class BlockParser(List<Line> lines)
    {
        private int _position;
        private int _depth;

        public void ExpectEnd()
        {
            if (_position < lines.Count)
            {
                Line line = lines[_position];
                throw new YamlException(new YamlMark(line.Number, line.Column), "unexpected text here; check the indentation of this line");
            }
        }

        public YamlNode ParseNode(int indent)
        {
            Line line = lines[_position];
            if (line.IsSequenceItem || FindMappingColon(line.Text) >= 0)
            {
                if (++_depth > MaxDepth)
                {
                    throw new YamlException(new YamlMark(line.Number, line.Column), $"nested more than {MaxDepth} levels deep; a config needs a few");
                }

                try
                {
                    return line.IsSequenceItem ? ParseSequence(line.Indent) : ParseMapping(line.Indent);
                }
                finally
                {
                    _depth--;
                }
            }

            _position++;
            YamlNode value = InlineValue(line.Text, line.Number, line.Column);
            if (_position < lines.Count && lines[_position].Indent > indent)
            {
                Line next = lines[_position];
                throw new YamlException(
                    new YamlMark(next.Number, next.Column),
                    "a value continues on this line; multi-line plain text is not supported, put the value on one line in quotes");
            }

            return value;
        }

        private YamlSequence ParseSequence(int indent)
        {
            var mark = new YamlMark(lines[_position].Number, lines[_position].Column);
            var items = new List<YamlNode>();
            while (_position < lines.Count && lines[_position].Indent == indent && lines[_position].IsSequenceItem)
            {
                Line line = lines[_position];
                string rest = line.Text[1..];
                int spaces = rest.Length - rest.TrimStart(' ').Length;
                rest = rest.TrimStart(' ');
                if (rest.Length == 0)
                {
                    _position++;
                    items.Add(NestedOrNull(indent, new YamlMark(line.Number, line.Column + 1), allowSameIndentSequence: false));
                    continue;
                }

                // "- key: value" opens a mapping whose column is that of "key": read the rest of the
                // line as if it were a line of its own at that indentation.
                int childIndent = indent + 1 + spaces;
                lines[_position] = new Line(line.Number, childIndent, rest);
                items.Add(ParseNode(childIndent));
            }

            ThrowIfDeeper(indent);
            return new YamlSequence(mark, items);
        }

        private YamlMapping ParseMapping(int indent)
        {
            var mark = new YamlMark(lines[_position].Number, lines[_position].Column);
            var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
            var seen = new Dictionary<string, YamlScalar>(StringComparer.Ordinal); // duplicate keys in linear time
            while (_position < lines.Count && lines[_position].Indent == indent)
            {
                Line line = lines[_position];
                if (line.IsSequenceItem)
                {
                    throw new YamlException(new YamlMark(line.Number, line.Column), "a list item where a 'key: value' was expected; indent the list under its key");
                }

                int colon = FindMappingColon(line.Text);
                if (colon < 0)
                {
                    throw new YamlException(new YamlMark(line.Number, line.Column), $"expected 'key: value', found '{line.Text}'");
                }

                YamlScalar key = Key(line.Text[..colon], line.Number, line.Column);
                if (!seen.TryAdd(key.Value, key))
                {
                    throw new YamlException(
                        key.Mark,
                        $"duplicate key '{key.Value}' (first at line {seen[key.Value].Mark.Line}); each key may appear once");
                }

                string after = line.Text[(colon + 1)..];
                int valueOffset = colon + 1 + (after.Length - after.TrimStart(' ').Length);
                string valueText = after.Trim();
                _position++;
                YamlNode value = valueText.Length > 0
                    ? InlineValue(valueText, line.Number, line.Column + valueOffset)
                    : NestedOrNull(indent, new YamlMark(line.Number, line.Column + colon + 1), allowSameIndentSequence: true);
                entries.Add(new(key, value));
            }

            ThrowIfDeeper(indent);
            return new YamlMapping(mark, entries);
        }

        private YamlNode NestedOrNull(int indent, YamlMark mark, bool allowSameIndentSequence)
        {
            if (_position < lines.Count)
            {
                Line next = lines[_position];
                if (next.Indent > indent || (allowSameIndentSequence && next.Indent == indent && next.IsSequenceItem))
                {
                    return ParseNode(next.Indent);
                }
            }

            return new YamlScalar(mark, "", quoted: false);
        }

        private void ThrowIfDeeper(int indent)
        {
            if (_position < lines.Count && lines[_position].Indent > indent)
            {
                Line line = lines[_position];
                throw new YamlException(new YamlMark(line.Number, line.Column), "unexpected indentation; align this line with the entries above it");
            }
        }

        private static YamlScalar Key(string text, int line, int column)
        {
            string trimmed = text.TrimEnd();
            if (trimmed.Length > 0 && trimmed[0] is '"' or '\'')
            {
                var flow = new FlowParser(trimmed, line, column);
                YamlScalar quoted = flow.Quoted();
                flow.ExpectEnd();
                return quoted;
            }

            if (trimmed.Length == 0)
            {
                throw new YamlException(new YamlMark(line, column), "a mapping entry without a key");
            }

            CheckPlain(trimmed, line, column);
            return new YamlScalar(new YamlMark(line, column), trimmed, quoted: false);
        }

        private static YamlNode InlineValue(string text, int line, int column)
        {
            var flow = new FlowParser(text, line, column);
            YamlNode node = flow.Value(inFlow: false);
            flow.ExpectEnd();
            return node;
        }
    }

    /// <summary>The index of the ':' that ends a block mapping key on this line, or -1.</summary>
    private static int FindMappingColon(string text)
    {
        if (text.Length == 0 || text[0] is '[' or '{')
        {
            return -1;
        }

        int start = 0;
        if (text[0] is '"' or '\'')
        {
            char quote = text[0];
            int i = 1;
            for (; i < text.Length; i++)
            {
                if (quote == '"' && text[i] == '\\')
                {
                    i++;
                }
                else if (text[i] == quote)
                {
                    if (quote == '\'' && i + 1 < text.Length && text[i + 1] == '\'')
                    {
                        i++;
                        continue;
                    }

                    break;
                }
            }

            start = i + 1;
        }

        for (int i = start; i < text.Length; i++)
        {
            if (text[i] == ':' && (i + 1 == text.Length || text[i + 1] == ' '))
            {
                return i;
            }
        }

        return -1;
    }

    private static void CheckPlain(string text, int line, int column)
    {
        char first = text[0];
        string? problem = first switch
        {
            '&' => "anchors (&name) are not supported; repeat the value instead",
            '*' => "aliases (*name) are not supported; repeat the value instead",
            '!' => "tags (!tag) are not supported; remove the tag",
            '|' or '>' => "block scalars (| and >) are not supported; write the value on one line in quotes",
            '@' or '`' => $"a plain value cannot start with '{first}'; put it in quotes",
            _ => null,
        };
        if (problem is not null)
        {
            throw new YamlException(new YamlMark(line, column), problem);
        }
    }

    /// <summary>Scalars and flow collections inside one line.</summary>
    private ref struct FlowParser(string text, int line, int column)
    {
        private readonly string _text = text;
        private int _i;
        private int _depth;

        public void ExpectEnd()
        {
            SkipSpaces();
            if (_i < _text.Length)
            {
                throw Error($"unexpected '{_text[_i..]}' after the value; quote the whole value if it is text");
            }
        }

        public YamlNode Value(bool inFlow)
        {
            SkipSpaces();
            if (_i >= _text.Length)
            {
                return new YamlScalar(Mark(), "", quoted: false);
            }

            return _text[_i] switch
            {
                '[' => Sequence(),
                '{' => Mapping(),
                '"' or '\'' => Quoted(),
                _ => Plain(inFlow),
            };
        }

        public YamlScalar Quoted()
        {
            YamlMark mark = Mark();
            char quote = _text[_i++];
            var value = new StringBuilder();
            while (true)
            {
                if (_i >= _text.Length)
                {
                    throw new YamlException(mark, $"this quoted value has no closing {quote}; close it on the same line");
                }

                char c = _text[_i++];
                if (c == quote)
                {
                    if (quote == '\'' && _i < _text.Length && _text[_i] == '\'')
                    {
                        value.Append('\'');
                        _i++;
                        continue;
                    }

                    return new YamlScalar(mark, value.ToString(), quoted: true);
                }

                if (quote == '"' && c == '\\')
                {
                    value.Append(Escape());
                }
                else
                {
                    value.Append(c);
                }
            }
        }

        private string Escape()
        {
            if (_i >= _text.Length)
            {
                throw Error("a backslash at the end of a quoted value");
            }

            char c = _text[_i++];
            switch (c)
            {
                case '"': return "\"";
                case '\\': return "\\";
                case '/': return "/";
                case 'n': return "\n";
                case 't': return "\t";
                case 'r': return "\r";
                case '0': return "\0";
                case 'x': return Hex(2);
                case 'u': return Hex(4);
                default:
                    _i--;
                    throw Error($"unknown escape '\\{c}' in a double-quoted value; use single quotes to keep backslashes as they are");
            }
        }

        private string Hex(int digits)
        {
            if (_i + digits > _text.Length || !int.TryParse(_text.AsSpan(_i, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
            {
                throw Error($"expected {digits} hex digits after the escape");
            }

            _i += digits;
            return char.ConvertFromUtf32(code);
        }

        private YamlScalar Plain(bool inFlow)
        {
            YamlMark mark = Mark();
            int start = _i;
            while (_i < _text.Length)
            {
                char c = _text[_i];
                if (inFlow && c is ',' or ']' or '}')
                {
                    break;
                }

                if (c == ':' && (_i + 1 == _text.Length || _text[_i + 1] == ' ' || (inFlow && _text[_i + 1] is ',' or ']' or '}')))
                {
                    if (inFlow)
                    {
                        break;
                    }

                    throw Error("a value cannot contain ': '; put the value in quotes");
                }

                _i++;
            }

            string value = _text[start.._i].TrimEnd();
            if (value.Length > 0)
            {
                CheckPlain(value, line, mark.Column);
            }

            return new YamlScalar(mark, value, quoted: false);
        }

        private void Enter()
        {
            if (++_depth > MaxDepth)
            {
                throw Error($"nested more than {MaxDepth} levels deep; a config needs a few");
            }
        }

        private YamlSequence Sequence()
        {
            Enter();
            YamlMark mark = Mark();
            _i++; // [
            var items = new List<YamlNode>();
            SkipSpaces();
            if (Peek() == ']')
            {
                _i++;
                _depth--;
                return new YamlSequence(mark, items);
            }

            while (true)
            {
                items.Add(Value(inFlow: true));
                SkipSpaces();
                char c = Peek();
                _i++;
                if (c == ']')
                {
                    _depth--;
                    return new YamlSequence(mark, items);
                }

                if (c != ',')
                {
                    _i--;
                    throw c == '\0'
                        ? new YamlException(mark, "this list has no closing ']'; flow lists must end on the same line")
                        : Error("expected ',' or ']' in a list");
                }
            }
        }

        private YamlMapping Mapping()
        {
            Enter();
            YamlMark mark = Mark();
            _i++; // {
            var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            SkipSpaces();
            if (Peek() == '}')
            {
                _i++;
                _depth--;
                return new YamlMapping(mark, entries);
            }

            while (true)
            {
                SkipSpaces();
                if (Peek() == '\0')
                {
                    throw new YamlException(mark, "this mapping has no closing '}'; flow mappings must end on the same line");
                }

                YamlNode keyNode = Peek() is '"' or '\'' ? Quoted() : Plain(inFlow: true);
                if (keyNode is not YamlScalar { Value.Length: > 0 } key)
                {
                    throw new YamlException(keyNode.Mark, "a mapping entry without a key");
                }

                if (!seen.Add(key.Value))
                {
                    throw new YamlException(key.Mark, $"duplicate key '{key.Value}'; each key may appear once");
                }

                SkipSpaces();
                if (Peek() != ':')
                {
                    throw Error($"expected ':' after the key '{key.Value}'");
                }

                _i++;
                YamlNode value = Value(inFlow: true);
                entries.Add(new(key, value));
                SkipSpaces();
                char c = Peek();
                _i++;
                if (c == '}')
                {
                    _depth--;
                    return new YamlMapping(mark, entries);
                }

                if (c != ',')
                {
                    _i--;
                    throw c == '\0'
                        ? new YamlException(mark, "this mapping has no closing '}'; flow mappings must end on the same line")
                        : Error("expected ',' or '}' in a mapping");
                }
            }
        }

        private readonly char Peek() => _i < _text.Length ? _text[_i] : '\0';

        private void SkipSpaces()
        {
            while (_i < _text.Length && _text[_i] == ' ')
            {
                _i++;
            }
        }

        private readonly YamlMark Mark() => new(line, column + _i);

        private readonly YamlException Error(string message) => new(Mark(), message);
    }
}
