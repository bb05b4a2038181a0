using Spectre.Console.Cli;

namespace TransferLearning.Cli;

/// <summary>
/// Minimal dependency injection for Spectre.Console.Cli: registered instances, types and factories (several per
/// service, resolved as <see cref="IEnumerable{T}"/> too), otherwise constructor injection of concrete types.
/// </summary>
internal sealed class TypeRegistrar : ITypeRegistrar, ITypeResolver
{
    private readonly Dictionary<Type, List<Func<object>>> factories = new();

    public void Register(Type service, Type implementation) => Add(service, () => Create(implementation));

    public void RegisterInstance(Type service, object implementation) => Add(service, () => implementation);

    public void RegisterLazy(Type service, Func<object> factory) => Add(service, factory);

    public ITypeResolver Build() => this;

    public object? Resolve(Type? type)
    {
        if (type is null)
        {
            return null;
        }

        if (factories.TryGetValue(type, out var list) && list.Count > 0)
        {
            return list[^1]();
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>))
        {
            var element = type.GetGenericArguments()[0];
            var items = factories.TryGetValue(element, out var all) ? all.Select(f => f()).ToArray() : Array.Empty<object>();
            var array = Array.CreateInstance(element, items.Length);
            for (var i = 0; i < items.Length; i++)
            {
                array.SetValue(items[i], i);
            }

            return array;
        }

        return type.IsAbstract || type.IsInterface ? null : Create(type);
    }

    private void Add(Type service, Func<object> factory)
    {
        if (!factories.TryGetValue(service, out var list))
        {
            factories[service] = list = new List<Func<object>>();
        }

        list.Add(factory);
    }

    private object Create(Type type)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()
            ?? throw new InvalidOperationException($"No public constructor on {type.Name}.");
        var arguments = constructor.GetParameters().Select(p => Resolve(p.ParameterType)).ToArray();
        return constructor.Invoke(arguments);
    }
}
