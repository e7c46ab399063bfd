using EdgeExporter.Config;

namespace EdgeExporter.Tests;

public class YamlParserTests
{
    [Fact]
    public void Parses_the_subset_a_config_uses_with_positions()
    {
        const string text = """
            # comment
            board: raspberry-pi-4   # trailing comment
            devices:
              - name: "living room"
                address: 0x76
                labels: { room: 'kitchen # not a comment', floor: 2 }
                tags: [a, "b", c]
              -
                name: second
            empty:
            """;
        var root = Assert.IsType<YamlMapping>(YamlParser.Parse(text));
        Assert.Equal("raspberry-pi-4", Assert.IsType<YamlScalar>(root["board"]).Value);
        var devices = Assert.IsType<YamlSequence>(root["devices"]);
        Assert.Equal(2, devices.Items.Count);
        var first = Assert.IsType<YamlMapping>(devices.Items[0]);
        var name = Assert.IsType<YamlScalar>(first["name"]);
        Assert.Equal("living room", name.Value);
        Assert.True(name.Quoted);
        Assert.Equal(new YamlMark(4, 11), name.Mark);
        Assert.Equal(new YamlMark(5, 14), first["address"]!.Mark);
        var labels = Assert.IsType<YamlMapping>(first["labels"]);
        Assert.Equal("kitchen # not a comment", ((YamlScalar)labels["room"]!).Value);
        Assert.Equal(new YamlMark(6, 55), labels["floor"]!.Mark);
        Assert.Equal(["a", "b", "c"], Assert.IsType<YamlSequence>(first["tags"]).Items.Select(i => ((YamlScalar)i).Value));
        Assert.Equal("second", ((YamlScalar)((YamlMapping)devices.Items[1])["name"]!).Value);
        Assert.True(Assert.IsType<YamlScalar>(root["empty"]).IsNull);
    }

    [Fact]
    public void A_list_may_sit_at_the_same_indentation_as_its_key()
    {
        var root = (YamlMapping)YamlParser.Parse("devices:\n- name: a\n- name: b\nboard: x\n");
        Assert.Equal(2, ((YamlSequence)root["devices"]!).Items.Count);
        Assert.Equal("x", ((YamlScalar)root["board"]!).Value);
    }

    [Fact]
    public void Double_quoted_escapes_and_single_quoted_doubling()
    {
        var root = (YamlMapping)YamlParser.Parse("a: \"x\\ty\\\"z\\u00e9\"\nb: 'it''s'\n");
        Assert.Equal("x\ty\"zé", ((YamlScalar)root["a"]!).Value);
        Assert.Equal("it's", ((YamlScalar)root["b"]!).Value);
    }

    [Theory]
    [InlineData("a: 1\na: 2\n", 2, 1, "duplicate key 'a' (first at line 1)")]
    [InlineData("a:\n\tb: 1\n", 2, 1, "a tab in the indentation")]
    [InlineData("a: \"open\n", 1, 4, "no closing \"")]
    [InlineData("a: &anchor 1\n", 1, 4, "anchors")]
    [InlineData("a: *alias\n", 1, 4, "aliases")]
    [InlineData("a: |\n  text\n", 1, 4, "block scalars")]
    [InlineData("a: [1, 2\n", 1, 4, "no closing ']'")]
    [InlineData("a: {b: 1\n", 1, 4, "no closing '}'")]
    [InlineData("a: b: c\n", 1, 5, "cannot contain ': '")]
    [InlineData("a: 1\n  b: 2\n", 2, 3, "unexpected indentation")]
    [InlineData("just text\n  more text\n", 2, 3, "multi-line plain text is not supported")]
    [InlineData("a:\n  b: 1\n c: 2\n", 3, 2, "unexpected indentation")]
    [InlineData("---\na: 1\n---\nb: 2\n", 3, 1, "a second YAML document")]
    public void Mistakes_are_reported_where_they_are_with_what_to_do(string text, int line, int column, string message)
    {
        YamlException error = Assert.Throws<YamlException>(() => YamlParser.Parse(text));
        Assert.Equal(new YamlMark(line, column), error.Mark);
        Assert.Contains(message, error.Message);
    }
}
