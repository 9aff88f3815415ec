using Convolve.Data;
using Convolve.Tensors;

namespace Convolve.Tests.Data;

public class DatasetSplitTests
{
    /// <summary>Items numbered by their pixel value, with <paramref name="classCounts"/> items of each class.</summary>
    private static ImageDataset Classes(params int[] classCounts)
    {
        int n = classCounts.Sum();
        var images = new Tensor(new Shape(n, 1, 1, 1));
        var labels = new int[n];
        int i = 0;
        for (int c = 0; c < classCounts.Length; c++)
            for (int k = 0; k < classCounts[c]; k++, i++)
            {
                images[i] = i;
                labels[i] = c;
            }
        return new ImageDataset(images, labels, classCounts.Select((_, c) => c.ToString()).ToArray());
    }

    private static int[] Ids(ImageDataset data) => data.Images.ToArray().Select(v => (int)v).ToArray();

    private static int[] CountLabels(ImageDataset data) =>
        Enumerable.Range(0, data.ClassCount).Select(c => data.Labels.Count(l => l == c)).ToArray();

    [Fact]
    public void TrainValidation_Stratified_TakesTheFractionOfEachClass_WithoutOverlap()
    {
        var data = Classes(50, 30, 20);

        var (train, validation) = DatasetSplit.TrainValidation(data, 0.2, seed: 1);

        // 20% of 50, 30, 20.
        Assert.Equal([10, 6, 4], CountLabels(validation));
        Assert.Equal([40, 24, 16], CountLabels(train));
        Assert.Equal(Enumerable.Range(0, 100), Ids(train).Concat(Ids(validation)).Order());
        Assert.True(Ids(validation).SequenceEqual(Ids(validation).Order()), "parts keep data set order");
    }

    [Fact]
    public void TrainValidation_IsSeeded()
    {
        var data = Classes(40, 40);

        var a = Ids(DatasetSplit.TrainValidation(data, 0.25, seed: 5).Validation);
        var b = Ids(DatasetSplit.TrainValidation(data, 0.25, seed: 5).Validation);
        var c = Ids(DatasetSplit.TrainValidation(data, 0.25, seed: 6).Validation);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void TrainValidation_NotStratified_TakesTheFractionOfAll()
    {
        var data = Classes(90, 10);

        var (train, validation) = DatasetSplit.TrainValidation(data, 0.3, seed: 2, stratified: false);

        Assert.Equal(30, validation.Count);
        Assert.Equal(70, train.Count);
    }

    [Fact]
    public void TrainValidation_FractionOutOfRange_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.TrainValidation(Classes(3), 1.0, 0));

        Assert.StartsWith("DatasetSplit: the validation fraction is 1; it must be between 0 and 1.", e.Message);
    }

    [Fact]
    public void TakePerClass_TakesThatManyOfEachClass()
    {
        var data = Classes(20, 15, 30);

        var subset = DatasetSplit.TakePerClass(data, 10, seed: 3);

        Assert.Equal([10, 10, 10], CountLabels(subset));
        Assert.Equal(30, Ids(subset).Distinct().Count());
    }

    [Fact]
    public void TakePerClass_MoreThanAClassHas_NamesTheClass()
    {
        var e = Assert.Throws<ArgumentException>(() => DatasetSplit.TakePerClass(Classes(20, 5), 10, 0));

        Assert.Equal("DatasetSplit.TakePerClass: class 1 ('1') has 5 items, fewer than the 10 asked for.", e.Message);
    }

    [Fact]
    public void TrainValidationIndices_AreTheItemsTrainValidationPicks()
    {
        // Items carry their index as pixel value (see Classes), so Ids are the indices picked.
        var data = Classes(13, 7, 9);
        var (train, validation) = DatasetSplit.TrainValidation(data, 0.3, seed: 5);
        var (trainIndices, validationIndices) = DatasetSplit.TrainValidationIndices(data.Labels, data.ClassCount, 0.3, seed: 5);
        Assert.Equal(Ids(train), trainIndices);
        Assert.Equal(Ids(validation), validationIndices);
    }
}
