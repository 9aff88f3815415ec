namespace Convolve.Data;

/// <summary>Seeded ways to cut a data set into parts.</summary>
public static class DatasetSplit
{
    /// <summary>
    /// Splits off a validation set. Stratified (the default): each class gives
    /// <c>round(fraction x its count)</c> of its items, chosen at random, so both parts keep the
    /// class proportions; otherwise <c>round(fraction x N)</c> items chosen at random from all.
    /// Both parts keep the data set's order. The same (data, fraction, seed) gives the same split.
    /// </summary>
    public static (ImageDataset Train, ImageDataset Validation) TrainValidation(ImageDataset data,
        double validationFraction, int seed, bool stratified = true)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), $"DatasetSplit: the validation fraction is {validationFraction}; it must be between 0 and 1.");
        var random = new Random(Seeds.Derive(seed, 0, Seeds.SplitStream));
        var inValidation = new bool[data.Count];
        if (stratified)
        {
            foreach (var members in IndicesByClass(data))
            {
                int take = (int)Math.Round(validationFraction * members.Length, MidpointRounding.AwayFromZero);
                Seeds.Shuffle(members.AsSpan(), random);
                foreach (int i in members.AsSpan(0, take)) inValidation[i] = true;
            }
        }
        else
        {
            var all = Enumerable.Range(0, data.Count).ToArray();
            Seeds.Shuffle(all.AsSpan(), random);
            int take = (int)Math.Round(validationFraction * data.Count, MidpointRounding.AwayFromZero);
            foreach (int i in all.AsSpan(0, take)) inValidation[i] = true;
        }

        var validation = Enumerable.Range(0, data.Count).Where(i => inValidation[i]).ToArray();
        var train = Enumerable.Range(0, data.Count).Where(i => !inValidation[i]).ToArray();
        if (validation.Length == 0 || train.Length == 0)
            throw new ArgumentException($"DatasetSplit: a validation fraction of {validationFraction} of {data.Count} items leaves {train.Length} for training and {validation.Length} for validation; both need at least one.");
        return (data.Subset(train), data.Subset(validation));
    }

    /// <summary>
    /// <paramref name="perClass"/> items of every class, chosen at random (seeded), in data set
    /// order: for learning curves against the number of training images per class.
    /// </summary>
    public static ImageDataset TakePerClass(ImageDataset data, int perClass, int seed)
    {
        if (perClass <= 0)
            throw new ArgumentOutOfRangeException(nameof(perClass), $"DatasetSplit.TakePerClass: {perClass} items per class; it must be 1 or more.");
        var random = new Random(Seeds.Derive(seed, 1, Seeds.SplitStream));
        var chosen = new List<int>();
        var byClass = IndicesByClass(data);
        for (int c = 0; c < byClass.Length; c++)
        {
            if (byClass[c].Length < perClass)
                throw new ArgumentException($"DatasetSplit.TakePerClass: class {c} ('{data.ClassNames[c]}') has {byClass[c].Length} items, fewer than the {perClass} asked for.");
            Seeds.Shuffle(byClass[c].AsSpan(), random);
            chosen.AddRange(byClass[c].AsSpan(0, perClass));
        }
        chosen.Sort();
        return data.Subset(chosen.ToArray());
    }

    private static int[][] IndicesByClass(ImageDataset data)
    {
        var lists = new List<int>[data.ClassCount];
        for (int c = 0; c < lists.Length; c++) lists[c] = [];
        for (int i = 0; i < data.Count; i++) lists[data.Labels[i]].Add(i);
        return lists.Select(l => l.ToArray()).ToArray();
    }
}
