namespace EdgeExporter.Collectors.Host;

/// <summary>
/// Directory entries in ordinal name order, as Go's <c>os.ReadDir</c> (and so procfs and node_exporter)
/// lists them.
/// </summary>
internal static class DirectoryListing
{
    /// <summary>The paths of the entries of <paramref name="directory"/> that match <paramref name="pattern"/>.</summary>
    public static string[] Entries(string directory, string pattern = "*")
    {
        string[] entries = Directory.GetFileSystemEntries(directory, pattern);
        Array.Sort(entries, StringComparer.Ordinal);
        return entries;
    }

    /// <summary>The paths of the subdirectories of <paramref name="directory"/> that match <paramref name="pattern"/>.</summary>
    public static string[] Directories(string directory, string pattern = "*")
    {
        string[] directories = Directory.GetDirectories(directory, pattern);
        Array.Sort(directories, StringComparer.Ordinal);
        return directories;
    }

    /// <summary>The names of the entries that are directories or links to one (a class directory holds links).</summary>
    public static string[] DirectoryNames(string directory)
    {
        var names = new List<string>();
        foreach (string entry in Entries(directory))
        {
            if (Directory.Exists(entry))
            {
                names.Add(Path.GetFileName(entry));
            }
        }

        return [.. names];
    }
}
