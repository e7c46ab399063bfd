using System.Text;
using System.Text.RegularExpressions;

namespace EdgeExporter.EndToEnd.Tests;

/// <summary>
/// Just enough of PromQL's lexical structure to rewrite dashboard and rule expressions without a
/// parser: strings, <c>{...}</c> matcher lists, <c>[...]</c> ranges, identifiers and operators.
/// An identifier is a metric selector unless it is a keyword, a function or aggregation (followed by
/// <c>(</c>, or an aggregation followed by <c>by</c>/<c>without</c>), or a label in the parenthesised
/// list after <c>by</c>, <c>without</c>, <c>on</c>, <c>ignoring</c>, <c>group_left</c>, <c>group_right</c>.
/// </summary>
internal sealed partial class PromQlExpression
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "bool", "offset", "inf", "nan", "atan2",
        "by", "without", "on", "ignoring", "group_left", "group_right",
    };

    private static readonly HashSet<string> LabelListKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right",
    };

    private static readonly HashSet<string> Aggregations = new(StringComparer.OrdinalIgnoreCase)
    {
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio",
    };

    private readonly string _text;
    private readonly List<Token> _tokens;

    public PromQlExpression(string text)
    {
        _text = text;
        _tokens = Tokenize(text);
    }

    public string Text => _text;

    /// <summary>Every vector selector: its metric name ("" for a bare <c>{...}</c>) and matcher list (without braces).</summary>
    public IReadOnlyList<(string Name, string Matchers)> Selectors => SelectorTokens().Select(s => (s.Name, s.Matchers)).ToList();

    /// <summary>The metric names the expression selects, including <c>__name__="..."</c> matchers of bare selectors.</summary>
    public IReadOnlyList<string> MetricNames =>
        Selectors.Select(s => s.Name.Length > 0 ? s.Name : NameMatcher().Match(s.Matchers) is { Success: true } m ? m.Groups[1].Value : "")
            .Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The expression with <c>instance="<paramref name="instance"/>"</c> added to every vector
    /// selector that does not already have exactly that matcher.
    /// </summary>
    public PromQlExpression ScopedTo(string instance)
    {
        string matcher = $"instance=\"{instance}\"";
        var edits = new List<(int At, int Remove, string Insert)>();
        foreach (SelectorToken selector in SelectorTokens())
        {
            if (selector.MatchersStart < 0)
            {
                edits.Add((selector.NameEnd, 0, "{" + matcher + "}"));
            }
            else if (!selector.Matchers.Replace(" ", "", StringComparison.Ordinal).Split(',').Contains(matcher))
            {
                edits.Add((selector.MatchersStart, 0, selector.Matchers.Trim().Length == 0 ? matcher : matcher + ", "));
            }
        }

        return new PromQlExpression(Apply(edits));
    }

    /// <summary>
    /// The expression with every comparison that filters (<c>&gt; 0.8</c>, <c>== 1</c>, vector against
    /// vector too) turned into its <c>bool</c> form, which keeps every element and yields 0 or 1: the
    /// result then says whether the series the expression needs exist, not whether a threshold is
    /// crossed right now. Set operators keep their meaning (<c>and</c> still needs both sides,
    /// <c>or</c> either); <c>unless</c> would invert it, so an expression with <c>unless</c> is refused.
    /// </summary>
    public PromQlExpression WithoutFilters()
    {
        if (_tokens.Any(t => t.Kind == Kind.Identifier && t.Text.Equals("unless", StringComparison.OrdinalIgnoreCase)))
        {
            throw new NotSupportedException("'unless' with its right side made non-filtering would drop every element: " + _text);
        }

        var edits = new List<(int At, int Remove, string Insert)>();
        for (int i = 0; i < _tokens.Count; i++)
        {
            if (_tokens[i].Kind == Kind.Comparison &&
                !(i + 1 < _tokens.Count && _tokens[i + 1].Kind == Kind.Identifier && _tokens[i + 1].Text.Equals("bool", StringComparison.OrdinalIgnoreCase)))
            {
                int end = _tokens[i].End;
                edits.Add((end, 0, end < _text.Length && char.IsWhiteSpace(_text[end]) ? " bool" : " bool "));
            }
        }

        return new PromQlExpression(Apply(edits));
    }

    public override string ToString() => _text;

    private string Apply(List<(int At, int Remove, string Insert)> edits)
    {
        var result = new StringBuilder(_text);
        foreach ((int at, int remove, string insert) in edits.OrderByDescending(e => e.At))
        {
            result.Remove(at, remove).Insert(at, insert);
        }

        return result.ToString();
    }

    private IEnumerable<SelectorToken> SelectorTokens()
    {
        for (int i = 0; i < _tokens.Count; i++)
        {
            Token token = _tokens[i];
            Token? next = i + 1 < _tokens.Count ? _tokens[i + 1] : null;
            if (token.Kind == Kind.Matchers)
            {
                // A bare {...}: one that follows a metric name was taken with it below.
                yield return new SelectorToken("", token.Start, token.Start + 1, _text[(token.Start + 1)..(token.End - 1)]);
                continue;
            }

            if (token.Kind != Kind.Identifier)
            {
                continue;
            }

            if (LabelListKeywords.Contains(token.Text) && next is { Kind: Kind.Open })
            {
                i = ClosingParen(i + 1); // the label names in by (...), on (...), group_left (...)
                continue;
            }

            bool isCall = next is { Kind: Kind.Open } ||
                (Aggregations.Contains(token.Text) && next is { Kind: Kind.Identifier } && (next.Text.Equals("by", StringComparison.OrdinalIgnoreCase) || next.Text.Equals("without", StringComparison.OrdinalIgnoreCase)));
            bool afterAt = i > 0 && _tokens[i - 1].Kind == Kind.At; // @ start() / @ end()
            if (Keywords.Contains(token.Text) || isCall || afterAt)
            {
                continue;
            }

            if (next is { Kind: Kind.Matchers })
            {
                yield return new SelectorToken(token.Text, token.End, next.Start + 1, _text[(next.Start + 1)..(next.End - 1)]);
                i++;
            }
            else
            {
                yield return new SelectorToken(token.Text, token.End, -1, "");
            }
        }
    }

    private int ClosingParen(int open)
    {
        int depth = 0;
        for (int i = open; i < _tokens.Count; i++)
        {
            depth += _tokens[i].Kind switch { Kind.Open => 1, Kind.Close => -1, _ => 0 };
            if (depth == 0)
            {
                return i;
            }
        }

        throw new FormatException("unbalanced parentheses: " + _text);
    }

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            int start = i;
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (c == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (c is '"' or '\'' or '`')
            {
                i = SkipString(text, i);
                tokens.Add(new Token(Kind.Other, start, i, text[start..i]));
            }
            else if (c is '{' or '[')
            {
                char close = c == '{' ? '}' : ']';
                i++;
                while (i < text.Length && text[i] != close)
                {
                    i = text[i] is '"' or '\'' or '`' ? SkipString(text, i) : i + 1;
                }

                if (i >= text.Length)
                {
                    throw new FormatException($"unclosed '{c}': " + text);
                }

                i++;
                tokens.Add(new Token(c == '{' ? Kind.Matchers : Kind.Other, start, i, text[start..i]));
            }
            else if (char.IsAsciiLetter(c) || c is '_' or ':')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or ':'))
                {
                    i++;
                }

                tokens.Add(new Token(Kind.Identifier, start, i, text[start..i]));
            }
            else if (char.IsAsciiDigit(c) || c == '.')
            {
                // Numbers and durations (5m, 1h30m, 1e3, 0x1f): never identifiers, nothing to rewrite.
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '.'))
                {
                    i++;
                }

                tokens.Add(new Token(Kind.Other, start, i, text[start..i]));
            }
            else if (i + 1 < text.Length && text.AsSpan(i, 2) is "==" or "!=" or ">=" or "<=")
            {
                i += 2;
                tokens.Add(new Token(Kind.Comparison, start, i, text[start..i]));
            }
            else
            {
                i++;
                Kind kind = c switch { '>' or '<' => Kind.Comparison, '(' => Kind.Open, ')' => Kind.Close, '@' => Kind.At, _ => Kind.Other };
                tokens.Add(new Token(kind, start, i, text[start..i]));
            }
        }

        return tokens;
    }

    private static int SkipString(string text, int i)
    {
        char quote = text[i++];
        while (i < text.Length && text[i] != quote)
        {
            i += quote != '`' && text[i] == '\\' ? 2 : 1;
        }

        if (i >= text.Length)
        {
            throw new FormatException("unclosed string: " + text);
        }

        return i + 1;
    }

    [GeneratedRegex("""__name__\s*=\s*["']([^"']+)["']""")]
    private static partial Regex NameMatcher();

    private enum Kind
    {
        Identifier,
        Matchers,
        Comparison,
        Open,
        Close,
        At,
        Other,
    }

    private sealed record Token(Kind Kind, int Start, int End, string Text);

    /// <summary>A selector: where its name ends, where its matcher list's content starts (-1: no braces).</summary>
    private sealed record SelectorToken(string Name, int NameEnd, int MatchersStart, string Matchers);
}
