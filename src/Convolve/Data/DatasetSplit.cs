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
        var (train, validation) = TrainValidationIndices(data.Labels, data.ClassCount, validationFraction, seed, stratified);
        return (data.Subset(train), data.Subset(validation));
    }

    /// <summary>
    /// The indices of the split <see cref="TrainValidation"/> makes, for items with
    /// <paramref name="labels"/> in [0, <paramref name="classCount"/>): so that two data sets
    /// with the same labels (the same images at two sizes, or their features) can be split alike.
    /// Both arrays are in increasing order.
    /// </summary>
    public static (int[] Train, int[] Validation) TrainValidationIndices(ReadOnlySpan<int> labels, int classCount,
        double validationFraction, int seed, bool stratified = true)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction),
                $"DatasetSplit: the validation fraction is {validationFraction}; it must be between 0 and 1.");
        var random = new Random(Seeds.Derive(seed, 0, Seeds.SplitStream));
        var inValidation = new bool[labels.Length];
        if (stratified)
        {
            foreach (var members in IndicesByClass(labels, classCount))
            {
                int take = (int)Math.Round(validationFraction * members.Length, MidpointRounding.AwayFromZero);
                Seeds.Shuffle(members.AsSpan(), random);
                foreach (int i in members.AsSpan(0, take)) inValidation[i] = true;
            }
        }
        else
        {
            var all = Enumerable.Range(0, labels.Length).ToArray();
            Seeds.Shuffle(all.AsSpan(), random);
            int take = (int)Math.Round(validationFraction * labels.Length, MidpointRounding.AwayFromZero);
            foreach (int i in all.AsSpan(0, take)) inValidation[i] = true;
        }

        var validation = Enumerable.Range(0, labels.Length).Where(i => inValidation[i]).ToArray();
        var train = Enumerable.Range(0, labels.Length).Where(i => !inValidation[i]).ToArray();
        if (validation.Length == 0 || train.Length == 0)
            throw new ArgumentException($"DatasetSplit: a validation fraction of {validationFraction} of {labels.Length} items leaves " +
                $"{train.Length} for training and {validation.Length} for validation; both need at least one.");
        return (train, validation);
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
        var byClass = IndicesByClass(data.Labels, data.ClassCount);
        for (int c = 0; c < byClass.Length; c++)
        {
            if (byClass[c].Length < perClass)
                throw new ArgumentException($"DatasetSplit.TakePerClass: class {c} ('{data.ClassNames[c]}') has {byClass[c].Length} items, " +
                    $"fewer than the {perClass} asked for.");
            Seeds.Shuffle(byClass[c].AsSpan(), random);
            chosen.AddRange(byClass[c].AsSpan(0, perClass));
        }
        chosen.Sort();
        return data.Subset(chosen.ToArray());
    }

    private static int[][] IndicesByClass(ReadOnlySpan<int> labels, int classCount)
    {
        var lists = new List<int>[classCount];
        for (int c = 0; c < lists.Length; c++) lists[c] = [];
        for (int i = 0; i < labels.Length; i++) lists[labels[i]].Add(i);
        return lists.Select(l => l.ToArray()).ToArray();
    }
}
